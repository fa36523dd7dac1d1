from loom.core.use_case import Exists, Input, Load, LoadById, OnMissing, UseCase

from shop.domain import Account, InviteCommand, Team


class Invite(UseCase[Account, str]):
    """Every marker, each OnMissing policy, both lookup sources."""

    async def execute(
        self,
        account_id: int,
        team_id: int,
        cmd: InviteCommand = Input(),
        account: Account = LoadById(Account, by="account_id"),
        team: Team = LoadById(Team, by="team_id", profile="with_members"),
        owner: Account = Load(Account, from_command="owner_email", against="email"),
        maybe_owner: Account | None = Load(
            Account,
            from_param="account_id",
            against="id",
            on_missing=OnMissing.RETURN_NONE,
        ),
        team_or_false: Team | bool = Load(
            Team, from_command="team_slug", against="slug", on_missing=OnMissing.RETURN_FALSE
        ),
        slug_taken: bool = Exists(Team, from_command="team_slug", against="slug"),
        account_known: bool = Exists(
            Account, from_param="account_id", against="id", on_missing=OnMissing.RAISE
        ),
        quiet_check: bool = Exists(
            Account, from_param="team_id", against="id", on_missing=OnMissing.RETURN_NONE
        ),
    ) -> str:
        return f"{account.email} invites {owner.email} to {team.slug}"
