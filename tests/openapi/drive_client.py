"""Drives a client generated from pgmond's /openapi.json by openapi-python-client, unchanged, as
every role: anonymous, a token that is not one, viewer, operator and admin.

The client raises on any status its operation does not declare (raise_on_unexpected_status), so
an answer the document forgot fails here. Every 401, 403, 404 and 422 met must parse into the
declared model (ErrorBody, or ValidationErrorBody for 422), every 2xx into its own. Prints, as
JSON, how many answers of each status were met.

Usage: drive_client.py BASE_URL SERVER (the package `pgmon_client` on PYTHONPATH).
"""

import datetime
import json
import sys
from collections import Counter

from pgmon_client import AuthenticatedClient, Client
from pgmon_client.api.alerts import (
    alerts_add_channel,
    alerts_add_silence,
    alerts_channels,
    alerts_delete_channel,
    alerts_expire_silence,
    alerts_history,
    alerts_list,
    alerts_replace_channel,
    alerts_rules,
    alerts_silences,
    alerts_test,
    alerts_update_rule,
)
from pgmon_client.api.audit import audit_list
from pgmon_client.api.auth import auth_login, auth_logout, auth_refresh
from pgmon_client.api.checks import checks_fleet_checks, checks_run_checks, checks_server_checks
from pgmon_client.api.health import health_health, health_pools_status, health_root
from pgmon_client.api.monitoring import (
    monitoring_activity,
    monitoring_analysis,
    monitoring_cancel,
    monitoring_databases,
    monitoring_overview,
    monitoring_db_history,
    monitoring_db_info,
    monitoring_replication,
    monitoring_scrape,
    monitoring_server_activity,
    monitoring_server_history,
    monitoring_statements,
    monitoring_status,
    monitoring_terminate,
    monitoring_timeline,
)
from pgmon_client.api.servers import (
    servers_create,
    servers_delete,
    servers_get,
    servers_list,
    servers_test_pg,
    servers_test_ssh,
    servers_test_unsaved,
    servers_update,
)
from pgmon_client.api.settings import settings_get, settings_update
from pgmon_client.api.ssh_keys import (
    ssh_keys_delete,
    ssh_keys_download_public,
    ssh_keys_generate,
    ssh_keys_get,
    ssh_keys_import,
    ssh_keys_import_file,
    ssh_keys_list,
    ssh_keys_servers,
    ssh_keys_update,
)
from pgmon_client.api.users import (
    users_create,
    users_delete,
    users_get,
    users_list,
    users_me,
    users_update,
)
from pgmon_client.models import (
    AuditOutcome,
    ChannelKind,
    ChannelSpec,
    Matchers,
    RuleUpdate,
    SilenceNew,
    TestRequest,
    CheckKind,
    CheckSeverity,
    ErrorBody,
    GenerateKey,
    ImportFileForm,
    ImportKey,
    RefreshBody,
    ServerInput,
    SettingsUpdate,
    StatementOrder,
    TokenForm,
    UpdateKey,
    UserCreate,
    UserUpdate,
    ValidationErrorBody,
)
from pgmon_client.types import File

BASE, SERVER = sys.argv[1], sys.argv[2]
CREDENTIALS = {"viewer": ("view", "view-pass-1"), "operator": ("oper", "oper-pass-1"),
               "admin": ("admin", "admin-pass-1")}
RANK = {"anonymous": 0, "bogus": 0, "viewer": 1, "operator": 2, "admin": 3}
met = Counter()


def check(who, what, response, want=None):
    """`response` of operation `what` as `who`: its model, and its status when `want` says."""
    code = int(response.status_code)
    met[code] += 1
    parsed = response.parsed
    if code == 422:
        ok = isinstance(parsed, ValidationErrorBody) and all(e.loc for e in parsed.detail)
    elif code >= 400:
        ok = isinstance(parsed, ErrorBody) and isinstance(parsed.detail, str)
    else:
        ok = parsed is not None and not isinstance(parsed, (ErrorBody, ValidationErrorBody))
    assert ok, f"{who} {what}: {code} parsed as {type(parsed).__name__}: {response.content[:300]!r}"
    if want is not None:
        assert code == want, f"{who} {what}: {code}, wanted {want}: {response.content[:300]!r}"
    return parsed


def gate(who, least, allowed):
    """The status a caller gets from an operation needing `least`, when allowed: `allowed`."""
    if RANK[who] == 0:
        return 401
    return allowed if RANK[who] >= RANK[least] else 403


def sign_in(login, password):
    client = Client(base_url=BASE, raise_on_unexpected_status=True)
    token = check("anonymous", "login", auth_login.sync_detailed(
        client=client, body=TokenForm(username=login, password=password)), 200)
    return token


def drive(who, client):
    tag = f"gen-{who}"
    g = lambda least, allowed: gate(who, least, allowed)  # noqa: E731

    # Reads.
    check(who, "pools", health_pools_status.sync_detailed(client=client), g("viewer", 200))
    check(who, "me", users_me.sync_detailed(client=client), g("viewer", 200))
    check(who, "users", users_list.sync_detailed(client=client), g("admin", 200))
    check(who, "user ?", users_get.sync_detailed("nobody-here", client=client), g("admin", 404))
    check(who, "servers", servers_list.sync_detailed(client=client), g("viewer", 200))
    check(who, "server", servers_get.sync_detailed(SERVER, client=client), g("viewer", 200))
    check(who, "server ?", servers_get.sync_detailed("no-such", client=client), g("viewer", 404))
    check(who, "activity", monitoring_activity.sync_detailed(SERVER, client=client),
          g("viewer", 200))
    check(who, "activity ?", monitoring_activity.sync_detailed("no-such", client=client),
          g("viewer", 404))
    week_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=7)
    check(who, "history", monitoring_server_history.sync_detailed(
        SERVER, client=client, start_date=week_ago), g("viewer", 200))
    check(who, "db", monitoring_db_info.sync_detailed(SERVER, "postgres", client=client),
          None if RANK[who] else 401)
    check(who, "db history", monitoring_db_history.sync_detailed(
        SERVER, "postgres", client=client), g("viewer", 200))
    check(who, "analysis", monitoring_analysis.sync_detailed(SERVER, client=client),
          g("viewer", 200))
    check(who, "backends", monitoring_server_activity.sync_detailed(SERVER, client=client),
          g("viewer", 200))
    check(who, "databases", monitoring_databases.sync_detailed(SERVER, client=client),
          g("viewer", 200))
    check(who, "replication", monitoring_replication.sync_detailed(SERVER, client=client),
          g("viewer", 200))
    check(who, "statements", monitoring_statements.sync_detailed(
        SERVER, client=client, order=StatementOrder.CALLS, limit=5), g("viewer", 200))
    check(who, "statements 0", monitoring_statements.sync_detailed(
        SERVER, client=client, limit=0), g("viewer", 422))
    check(who, "collector", monitoring_status.sync_detailed(client=client), g("viewer", 200))
    check(who, "fleet", monitoring_overview.sync_detailed(client=client), g("viewer", 200))
    check(who, "timeline", monitoring_timeline.sync_detailed(
        SERVER, client=client, start_date=week_ago), g("viewer", 200))
    check(who, "timeline ?", monitoring_timeline.sync_detailed("no-such", client=client),
          g("viewer", 404))
    check(who, "metrics", monitoring_scrape.sync_detailed(client=client), g("viewer", 200))
    check(who, "settings", settings_get.sync_detailed(client=client), g("admin", 200))
    check(who, "audit", audit_list.sync_detailed(
        client=client, outcome=AuditOutcome.SUCCESS, since=week_ago, limit=10), g("admin", 200))
    check(who, "audit 5000", audit_list.sync_detailed(client=client, limit=5000),
          g("admin", 422))
    check(who, "checks", checks_server_checks.sync_detailed(
        SERVER, client=client, severity=CheckSeverity.WARNING), g("viewer", 200))
    check(who, "fleet checks", checks_fleet_checks.sync_detailed(
        client=client, kind=CheckKind.UNUSED_INDEX), g("viewer", 200))
    check(who, "run checks ?", checks_run_checks.sync_detailed("no-such", client=client),
          g("operator", 404))
    check(who, "keys", ssh_keys_list.sync_detailed(client=client), g("operator", 200))
    check(who, "key ?", ssh_keys_get.sync_detailed("no-such", client=client), g("operator", 404))
    check(who, "key servers ?", ssh_keys_servers.sync_detailed("no-such", client=client),
          g("viewer", 404) if RANK[who] < 2 else 404)

    # Backend actions: pid 1 is no backend of the server.
    check(who, "cancel 1", monitoring_cancel.sync_detailed(SERVER, 1, client=client),
          g("operator", 404))
    check(who, "terminate ?", monitoring_terminate.sync_detailed("no-such", 1, client=client),
          g("operator", 404))

    # Changes, each undone.
    server = ServerInput(name=tag, host="127.0.0.1", port=1, user="postgres")
    check(who, "test", servers_test_unsaved.sync_detailed(client=client, body=server),
          g("operator", 200))
    check(who, "create", servers_create.sync_detailed(client=client, body=server, check=False),
          g("operator", 200))
    check(who, "create bad", servers_create.sync_detailed(
        client=client, body=ServerInput(name="bad name", host="h", user="u"), check=False),
        g("operator", 400))
    check(who, "update", servers_update.sync_detailed(tag, client=client, body=server),
          g("operator", 200))
    check(who, "test-pg", servers_test_pg.sync_detailed(tag, client=client), g("operator", 200))
    check(who, "test-ssh ?", servers_test_ssh.sync_detailed("no-such", client=client),
          g("operator", 404))
    check(who, "delete", servers_delete.sync_detailed(tag, client=client), g("operator", 200))

    key = check(who, "generate", ssh_keys_generate.sync_detailed(
        client=client, body=GenerateKey(name=tag, key_type="ed25519")), g("operator", 200))
    if RANK[who] >= 2:
        check(who, "key", ssh_keys_get.sync_detailed(key.id, client=client), 200)
        check(who, "key servers", ssh_keys_servers.sync_detailed(key.id, client=client), 200)
        check(who, "public", ssh_keys_download_public.sync_detailed(key.id, client=client),
              g("admin", 200))
        check(who, "key update", ssh_keys_update.sync_detailed(
            key.id, client=client, body=UpdateKey(description="generated client")), 200)
        check(who, "key delete", ssh_keys_delete.sync_detailed(key.id, client=client), 200)
    check(who, "key update ?", ssh_keys_update.sync_detailed(
        "no-such", client=client, body=UpdateKey(description="x")), g("operator", 404))
    check(who, "key delete ?", ssh_keys_delete.sync_detailed("no-such", client=client),
          g("operator", 404))
    check(who, "import junk", ssh_keys_import.sync_detailed(
        client=client, body=ImportKey(name=tag, private_key="not a key")), g("operator", 400))
    upload = File(payload=b"not a key either", file_name="junk.pem", mime_type="text/plain")
    check(who, "import-file junk", ssh_keys_import_file.sync_detailed(
        client=client, body=ImportFileForm(file=upload, name=tag)), g("operator", 400))

    check(who, "settings 5", settings_update.sync_detailed(
        client=client, body=SettingsUpdate(collect_interval=5)), g("admin", 422))
    check(who, "user", users_create.sync_detailed(
        client=client, body=UserCreate(login=tag, password="generated-pass-1")), g("admin", 200))
    check(who, "user short", users_update.sync_detailed(
        tag, client=client, body=UserUpdate(password="x")), g("admin", 400))
    check(who, "user update ?", users_update.sync_detailed(
        "nobody-here", client=client, body=UserUpdate(is_active=False)), g("admin", 404))
    check(who, "user delete", users_delete.sync_detailed(tag, client=client), g("admin", 200))
    check(who, "user delete ?", users_delete.sync_detailed("nobody-here", client=client),
          g("admin", 404))

    # Alerts: reads, a channel made and undone, a silence, bad input.
    check(who, "alerts", alerts_list.sync_detailed(client=client), g("viewer", 200))
    check(who, "alert history", alerts_history.sync_detailed(
        client=client, since=week_ago, limit=5), g("viewer", 200))
    check(who, "alert history 0", alerts_history.sync_detailed(client=client, limit=0),
          g("viewer", 422))
    check(who, "channels", alerts_channels.sync_detailed(client=client), g("viewer", 200))
    check(who, "rules", alerts_rules.sync_detailed(client=client), g("viewer", 200))
    check(who, "silences", alerts_silences.sync_detailed(client=client), g("viewer", 200))
    channel = ChannelSpec(name=tag, kind=ChannelKind.ALERTMANAGER, url="http://127.0.0.1:9")
    check(who, "channel", alerts_add_channel.sync_detailed(client=client, body=channel),
          g("admin", 201))
    check(who, "channel ftp", alerts_add_channel.sync_detailed(client=client, body=ChannelSpec(
        name=tag + "-x", kind=ChannelKind.WEBHOOK, url="ftp://x")), g("admin", 422))
    check(who, "channel update", alerts_replace_channel.sync_detailed(
        tag, client=client, body=channel), g("admin", 200))
    check(who, "channel test", alerts_test.sync_detailed(
        client=client, body=TestRequest(channel=tag)), g("admin", 200))
    check(who, "channel delete", alerts_delete_channel.sync_detailed(tag, client=client),
          g("admin", 200))
    until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    silence = check(who, "silence", alerts_add_silence.sync_detailed(client=client, body=SilenceNew(
        matchers=Matchers(server=SERVER), until=until, comment=tag)), g("operator", 201))
    if RANK[who] >= 2:
        check(who, "silence expire", alerts_expire_silence.sync_detailed(
            silence.id, client=client), 200)
    check(who, "silence no end", alerts_add_silence.sync_detailed(
        client=client, body=SilenceNew(matchers=Matchers(server=SERVER))), g("operator", 422))
    check(who, "rule -1", alerts_update_rule.sync_detailed(
        "lock_wait", client=client, body=RuleUpdate(threshold=-1)), g("admin", 422))


def main():
    anonymous = Client(base_url=BASE, raise_on_unexpected_status=True)
    check("anonymous", "root", health_root.sync_detailed(client=anonymous), 200)
    check("anonymous", "health", health_health.sync_detailed(client=anonymous), 200)
    check("anonymous", "bad login", auth_login.sync_detailed(
        client=anonymous, body=TokenForm(username="admin", password="wrong")), 401)
    check("anonymous", "bad refresh", auth_refresh.sync_detailed(
        client=anonymous, body=RefreshBody(refresh_token="nope")), 401)
    # The generated AuthenticatedClient with no token at all is the anonymous caller.
    drive("anonymous", AuthenticatedClient(base_url=BASE, token="", prefix="",
                                           raise_on_unexpected_status=True))
    drive("bogus", AuthenticatedClient(base_url=BASE, token="not.a.jwt",
                                       raise_on_unexpected_status=True))
    for who, (login, password) in CREDENTIALS.items():
        pair = sign_in(login, password)
        client = AuthenticatedClient(base_url=BASE, token=pair.access_token,
                                     raise_on_unexpected_status=True)
        drive(who, client)
        fresh = check(who, "refresh", auth_refresh.sync_detailed(
            client=anonymous, body=RefreshBody(refresh_token=pair.refresh_token)), 200)
        check(who, "spent refresh", auth_refresh.sync_detailed(
            client=anonymous, body=RefreshBody(refresh_token=pair.refresh_token)), 401)
        renewed = AuthenticatedClient(base_url=BASE, token=fresh.access_token,
                                      raise_on_unexpected_status=True)
        # The spent refresh token ended the session: its newest access token is refused too.
        check(who, "after reuse", users_me.sync_detailed(client=renewed), 401)
        again = sign_in(login, password)
        client = AuthenticatedClient(base_url=BASE, token=again.access_token,
                                     raise_on_unexpected_status=True)
        check(who, "logout", auth_logout.sync_detailed(client=client), 200)
        check(who, "after logout", users_me.sync_detailed(client=client), 401)
    print(json.dumps({str(k): v for k, v in sorted(met.items())}))


main()
