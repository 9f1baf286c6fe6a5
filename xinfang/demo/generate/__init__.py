"""Synthetic petitions in bulk (造数): realistic texts, places, units, states and histories, fast.

Two kinds of history (petitions_generate(history=...), manage.py generate_petitions --history):

"import" (the default, ledger.ImportGenerator, tens of thousands a second): each petition as if taken
over from an existing Excel ledger (台账导入): one "import" event from "" to its current state, chained
and hashed like any first event, and only what that state needs to go on through the services: its
open deadlines (the same calendar computation), owner and routing unit, its decisions and evaluations;
the import event records what replay.py checks (open deadlines, owner, the texts' digests, the accused).
The current state is reached with the same odds and pace as the full walk below (ledger_walk.py).

"full" (full.Generator): every petition is one the services could have made: it walks the transition
table (workflow.TABLE) from "register" with the same guards (walk.py, steps.py), opens and meets the
same deadlines (due dates from the same calendar functions, cached per start date and period), writes
the same event data (the register event's digests and "opened" due dates too), and chains its events
with the same hash as eventlog.event_hash, so verify_chains() finds no break, replay.rows_verify() finds
each row what its events say, and Petition.due_on is what services._queue_due gives
(tests/demo/test_generate_equivalence.py replays such histories through the services and compares). Only
the speed differs: rows are written with raw executemany (SQLite) or COPY (PostgreSQL) in large
transactions (write.py, run.py).

Petitioners are invented (王某甲, phone 100xxxxxxxx, no ID number), their phone and address encrypted
and the phone's lookup digest computed as crypto.py does for any row. Staff actions need staff:
a unit that has no handler or unit head gets a synthetic one (username gen-<unit id>-handler /
-head, no usable password; org.py).

Modules, bottom to top: texts, odds, clock, org → base → steps → walk → full; base → ledger_walk →
ledger; write; run (petitions_generate).
"""

from xinfang.demo.generate.base import Result
from xinfang.demo.generate.full import Generator
from xinfang.demo.generate.ledger import ImportGenerator
from xinfang.demo.generate.org import GenerateError, Org, org_load
from xinfang.demo.generate.run import HISTORIES, _plan, petitions_generate
from xinfang.demo.generate.texts import Texts, texts_load
from xinfang.petitions.replay import IMPORT_ACTION

__all__ = [
    "HISTORIES",
    "IMPORT_ACTION",
    "GenerateError",
    "Generator",
    "ImportGenerator",
    "Org",
    "Result",
    "Texts",
    "_plan",
    "org_load",
    "petitions_generate",
    "texts_load",
]
