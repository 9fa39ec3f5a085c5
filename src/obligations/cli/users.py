"""`obligations user ...`: web accounts."""

from __future__ import annotations

import click

from obligations.accounts import users as accounts
from obligations.accounts.users import NewUser
from obligations.cli.context import AppContext, pass_app, refusals
from obligations.timeutil import utcnow
from obligations.vocabulary import UserRole

_ROLES = click.Choice([r.value for r in UserRole])


def _password(confirm: bool = True) -> str:
    value: str = click.prompt("密码", hide_input=True, confirmation_prompt=confirm)
    return value


@click.group("user")
def user() -> None:
    """网页账户：新增、改密码、禁用、API 令牌。"""


@user.command("add")
@click.argument("username")
@click.option(
    "--role", type=_ROLES, required=True, help="admin / unit_manager / branch_secretary / viewer"
)
@click.option(
    "--scope", "scope_code", help="所属组织编号：单位（单位管理员、只读用户）或支部（支部书记）"
)
@click.option("--person", "person_code", help="关联的人员编号（“我的任务”和日历订阅按此人计算）")
@click.option("--name", "display_name", default="", help="显示名称，默认为关联人员的姓名或用户名")
@pass_app
def add(
    app: AppContext,
    username: str,
    role: str,
    scope_code: str | None,
    person_code: str | None,
    display_name: str,
) -> None:
    """新增账户（随后提示输入密码）。"""
    password = _password()
    with refusals(), app.sessions.begin() as session:
        created = accounts.add_user(
            session,
            NewUser(
                username=username,
                display_name=display_name,
                password=password,
                role=UserRole(role),
                scope_code=scope_code,
                person_code=person_code,
            ),
            now=utcnow(),
        )
        if not display_name and created.person is not None:
            created.display_name = created.person.name
        label = created.role.label
    click.echo(f"已新增账户 {username}（{label}）")


@user.command("passwd")
@click.argument("username")
@pass_app
def passwd(app: AppContext, username: str) -> None:
    """修改密码；该账户已登录的会话全部退出。"""
    password = _password()
    with refusals(), app.sessions.begin() as session:
        accounts.set_password(session, username, password, now=utcnow())
    click.echo(f"已修改 {username} 的密码")


@user.command("disable")
@click.argument("username")
@pass_app
def disable(app: AppContext, username: str) -> None:
    """禁用账户：立即退出登录，API 令牌与日历订阅失效。"""
    with refusals(), app.sessions.begin() as session:
        accounts.disable_user(session, username, now=utcnow())
    click.echo(f"已禁用账户 {username}")


@user.command("token")
@click.argument("username")
@click.option("--name", default="命令行创建", help="令牌用途")
@pass_app
def token(app: AppContext, username: str, name: str) -> None:
    """为账户创建一个 API 令牌并打印（只显示这一次）。"""
    with refusals(), app.sessions.begin() as session:
        found = accounts.get_user(session, username)
        secret = accounts.create_api_token(session, found, name, now=utcnow())
    click.echo(secret)
