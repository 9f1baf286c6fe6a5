"""Who may do what: every set of roles the code checks, in this one module, each named for what the roles
in it may do. The roles themselves are org.models.Role; what a role reaches (units, regions) is
org.scope.scope_for, built on ROLES_WHO_REACH_THEIR_REGION and `administers`."""

from __future__ import annotations

from xinfang.org.models import Role, User

# ---------------------------------------------------------------- reach (org.scope)

# Reach the whole region subtree of their unit's region (besides their own unit): bureau staff, leaders
# and supervisors. Everyone else with a unit reaches their own unit only.
ROLES_WHO_REACH_THEIR_REGION = frozenset({Role.BUREAU_STAFF, Role.LEADER, Role.SUPERVISOR})


def administers(user: User) -> bool:
    """An administrator (the role, or a superuser of any role): reaches every unit and region."""
    return user.role == Role.ADMIN or user.is_superuser


# ---------------------------------------------------------------- petitions (petitions.workflow's table)

# Register petitions and record what the petitioner asks on them (evaluation, review, reexamination),
# attach files: the staff who deal with petitions and petitioners.
ROLES_WHO_REGISTER = frozenset({Role.CLERK, Role.BUREAU_STAFF, Role.HANDLER, Role.UNIT_HEAD})
# Route a petition the unit holds: accept, decline, forward, assign, redirect.
ROLES_WHO_ROUTE = frozenset({Role.CLERK, Role.BUREAU_STAFF, Role.HANDLER, Role.UNIT_HEAD})
# Handle a petition the unit owns: return it, record steps, decide, review, reexamine, hold hearings.
ROLES_WHO_HANDLE = frozenset({Role.HANDLER, Role.UNIT_HEAD})
# Extend the handling period (a unit head only).
ROLES_WHO_EXTEND = frozenset({Role.UNIT_HEAD})
# Close a decided petition (bureau staff also one another unit handled, if they can see it).
ROLES_WHO_CLOSE = frozenset({Role.BUREAU_STAFF, Role.HANDLER, Role.UNIT_HEAD})
# Confirm the accused of an accusation received online, and see the unconfirmed accusations their unit
# holds (Art. 30: petitions.selectors.petition_visibility).
ROLES_WHO_HANDLE_ACCUSATIONS = frozenset({Role.BUREAU_STAFF, Role.HANDLER, Role.UNIT_HEAD})
# Reveal a petitioner's full phone, ID number and address on a petition their unit owns or registered
# (administrators too): the staff who contact petitioners, not those who oversee.
ROLES_WHO_REVEAL_PERSONAL_DATA = frozenset({Role.CLERK, Role.BUREAU_STAFF, Role.HANDLER, Role.UNIT_HEAD})

# ---------------------------------------------------------------- oversight

# Put petitions and units under supervision, accept or return answers, make recommendations, hot issues.
ROLES_WHO_SUPERVISE = frozenset({Role.SUPERVISOR, Role.LEADER})
# Answer a supervision of their own unit: its handler or head.
ROLES_WHO_ANSWER_SUPERVISION = frozenset({Role.HANDLER, Role.UNIT_HEAD})
# Answer a recommendation addressed to their unit: also a leader of it (a government).
ROLES_WHO_ANSWER_RECOMMENDATIONS = ROLES_WHO_ANSWER_SUPERVISION | {Role.LEADER}
# Follow up (回访) a concluded petition: people who oversee, never the unit that handled it.
ROLES_WHO_FOLLOW_UP = frozenset({Role.SUPERVISOR, Role.LEADER, Role.BUREAU_STAFF, Role.ADMIN})

# ---------------------------------------------------------------- assessment

# See the whole monthly ranking and every unit's explanation (others: their own unit's explanation),
# and the rectification notices of the units they reach.
ROLES_WHO_SEE_THE_RANKING = frozenset({Role.LEADER, Role.SUPERVISOR, Role.BUREAU_STAFF, Role.ADMIN})
# Open the leaders' dashboard (superusers too).
ROLES_WHO_SEE_THE_DASHBOARD = frozenset({Role.LEADER, Role.SUPERVISOR, Role.BUREAU_STAFF, Role.ADMIN})
# Write their unit's rectification plan or self-examination.
ROLES_WHO_WRITE_RECTIFICATION_PLANS = frozenset({Role.HANDLER, Role.UNIT_HEAD})
# Approve or return a rectification plan of a unit in their region.
ROLES_WHO_APPROVE_RECTIFICATION_PLANS = frozenset({Role.LEADER})

# ---------------------------------------------------------------- sign-in and API clients

# Give a code at every sign-in (superusers too, whatever their role).
ROLES_WHO_NEED_A_SECOND_FACTOR = frozenset({Role.ADMIN, Role.SUPERVISOR})
# The roles an API client's service user may have, in the order offered: staff of a unit, never an
# administrator.
ROLES_AN_API_CLIENT_MAY_HAVE = (
    Role.CLERK,
    Role.BUREAU_STAFF,
    Role.HANDLER,
    Role.UNIT_HEAD,
    Role.LEADER,
    Role.SUPERVISOR,
)
