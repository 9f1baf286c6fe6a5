"""The column PostgreSQL searches: a petition's search terms as a tsvector (xinfang.petitions.search
writes and queries it). A module of its own so that the model can declare the field without importing
the search, which reads the model."""

from __future__ import annotations

from django.db import NotSupportedError, models
from django.db.models import F, Lookup


class SearchTermsField(models.Field):
    """A petition's search terms as PostgreSQL keeps them: a tsvector column of the petition row
    (text on SQLite, where it stays NULL: SQLite's terms are in its FTS5 table). Written only by
    this module (registration, `search_reindex`, the generator's COPY); read only by the database,
    through the `matches` lookup (`search_vector__matches=<tsquery text>`) and its GIN index.

    The ORM never moves the value: a query selects NULL in its place (~1 kB of terms would otherwise
    come with every petition loaded, and widen every sort), so it reads as None; and saving a loaded
    petition leaves the column as it is (SET search_vector = search_vector), never clears it."""

    description = "search terms (PostgreSQL tsvector)"

    def db_type(self, connection) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"

    def select_format(self, compiler, sql, params):
        # a typed NULL: PostgreSQL refuses a bare NULL in GROUP BY ("non-integer constant")
        return ("CAST(NULL AS tsvector)" if compiler.connection.vendor == "postgresql" else "NULL"), ()

    def pre_save(self, model_instance, add):
        return super().pre_save(model_instance, add) if add else F(self.attname)


@SearchTermsField.register_lookup
class Matches(Lookup):
    """`search_vector__matches=<tsquery text>`: PostgreSQL's @@, the query in tsquery input form
    ('a' & ('b' | 'c')) as one bound parameter. An ordinary filter: it composes with any other,
    with ordering, slicing, counting and subqueries."""

    lookup_name = "matches"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            raise NotSupportedError("search_vector__matches needs PostgreSQL (SQLite searches its FTS5 table)")
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} @@ ({rhs})::tsquery", (*lhs_params, *rhs_params)
