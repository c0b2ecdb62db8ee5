"""Authorization matrix: every registered route × every role behaves as its declaration says.

Routes are enumerated from ``app.url_map``, so a new route is covered automatically. URL
arguments get placeholder values: the audience check runs before the view, so a refused
role must get 403 (or a login redirect) whether or not the object exists.
"""
from __future__ import annotations

import pytest

from campaign.access import ANY_USER, PUBLIC, access_of
from campaign.extensions import db

# Only a display-language preference: forging it harms nobody, and exempting it lets public
# pages be served without a session cookie.
CSRF_EXEMPT = {"auth.set_language"}
ROLES = ("anonymous", "viewer", "officer", "judge", "admin")
PLACEHOLDERS = {"int": "999999", "string": "placeholder", "path": "placeholder", "float": "1.0"}


def _url(rule) -> str:
    url = rule.rule
    for arg in rule.arguments:
        converter = rule._converters[arg].__class__.__name__.lower().replace("converter", "")
        value = PLACEHOLDERS.get("int" if converter in ("integer", "int") else "string", "placeholder")
        url = url.replace(f"<{arg}>", value)
        for conv in ("int", "string", "path", "float"):
            url = url.replace(f"<{conv}:{arg}>", value)
    return url


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


@pytest.mark.parametrize("role", ROLES)
def test_every_route_enforces_its_audience(app, client, factory, role):
    if role != "anonymous":
        unit = factory.unit()
        factory.user(role, unit=unit if role == "officer" else None, username=f"matrix-{role}")
        db.session.commit()
        assert client.login(f"matrix-{role}").status_code == 302
    token = client.csrf("/login")
    problems = []
    for rule, method in _routes(app):
        audience = access_of(rule.endpoint)
        allowed = PUBLIC in audience or (role != "anonymous" and (ANY_USER in audience or role in audience))
        if allowed:
            continue
        url = _url(rule)
        resp = client.open(url, method=method, data={"csrf_token": token})
        expected = (302,) if role == "anonymous" else (403,)
        if resp.status_code not in expected:
            problems.append(f"{method} {url} as {role}: {resp.status_code}")
        if role == "anonymous" and resp.status_code == 302 and "/login" not in resp.headers["Location"]:
            problems.append(f"{method} {url} as anonymous redirects to {resp.headers['Location']}")
    assert problems == []


def test_state_changing_routes_require_csrf(app, client, factory):
    """Every POST route refuses a request without a CSRF token (as admin, who may use most)."""
    factory.user("admin", username="matrix-admin")
    db.session.commit()
    client.login("matrix-admin")
    problems = []
    for rule, method in _routes(app):
        if method not in ("POST", "PUT", "PATCH", "DELETE") or rule.endpoint in CSRF_EXEMPT:
            continue
        resp = client.open(_url(rule), method=method, data={"x": "1"})
        if resp.status_code != 400 and resp.status_code != 403:
            problems.append(f"{method} {rule.rule}: {resp.status_code}")
    assert problems == []


# ---------------------------------------------------------------- oversized integers (issue 13 #9)
# Beyond PostgreSQL's INTEGER, beyond SQLite's 64-bit integer, and beyond Python's 4,300-digit parse.
HUGE = ("2147483648", "99999999999999999999", "9" * 5000)


def _query_names(app) -> dict[str, set[str]]:
    """Query-string names each blueprint's code reads (request.args.get/[...]/arg_int, fields of its
    GET forms); key "" holds names read outside the blueprints (every route may reach those)."""
    import ast
    import importlib
    from pathlib import Path

    from flask_wtf import FlaskForm

    root = Path(app.root_path)
    names: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        package = path.relative_to(root).parts[0] if path.parent != root else ""
        found = names.setdefault(package if (root / package / "views.py").exists() else "", set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                if ast.unparse(node.func) in ("request.args.get", "arg_int", "params.arg_int"):
                    found.add(node.args[0].value)
            elif (isinstance(node, ast.Subscript) and ast.unparse(node.value) == "request.args"
                  and isinstance(node.slice, ast.Constant)):
                found.add(node.slice.value)
        if path.name == "forms.py" and package:
            module = importlib.import_module(f"campaign.{package}.forms")
            for obj in vars(module).values():
                if isinstance(obj, type) and issubclass(obj, FlaskForm) and getattr(obj.Meta, "csrf", True) is False:
                    found |= {n for n, v in vars(obj).items() if hasattr(v, "field_class")}
    return names


@pytest.fixture
def populated(app, factory):
    """One of everything an id in a URL can point at, so requests reach the views' queries."""
    from campaign.services.results import recompute

    units = [factory.unit(), factory.unit()]
    camp = factory.campaign(units=units)
    entry = factory.entry(camp, units[0], status="submitted")
    factory.entry(camp, units[1], status="submitted")
    users = {role: factory.user(role, unit=units[0] if role == "officer" else None, username=f"huge-{role}")
             for role in ("admin", "officer", "judge", "viewer")}
    db.session.commit()
    recompute.recompute_provisional(camp.id)
    run_id = recompute.provisional_run(camp.id).id
    ids = {"campaign_id": camp.id, "unit_id": units[0].id, "entry_id": entry.id, "run_id": run_id,
           "district_id": units[0].id, "user_id": users["officer"].id}
    return ids, users


def _login_for(client, audience, users) -> str | None:
    """Log in as a role the route admits (admin first); None for public routes."""
    if PUBLIC in audience:
        client.get("/logout")
        return None
    for role in ("admin", "officer", "judge", "viewer"):
        if ANY_USER in audience or role in audience:
            client.login(users[role].username)
            return role
    return None


def _fill(rule, values: dict[str, str], default: str = "1") -> str:
    url = rule.rule
    for arg in rule.arguments:
        url = url.replace(f"<int:{arg}>", values.get(arg, default)).replace(f"<{arg}>", "placeholder")
        for conv in ("string", "path", "float"):
            url = url.replace(f"<{conv}:{arg}>", "placeholder")
    return url.replace("<any(csv, xlsx):fmt>", "csv")


def _status(client, method: str, url: str, **kwargs) -> int:
    """The response's status; an exception (the testing app propagates them) counts as a 500."""
    try:
        return client.open(url, method=method, **kwargs).status_code
    except Exception:  # noqa: BLE001 - any crash is what this test looks for
        db.session.rollback()
        return 500


def _int_args(rule) -> list[str]:
    return [a for a in rule.arguments if type(rule._converters[a]).__name__ in ("IntConverter", "IntegerConverter")]


def test_oversized_integers_in_paths_never_give_a_server_error(app, client, populated):
    ids, users = populated
    token_for: dict[str | None, str] = {}
    problems = []
    for rule, method in _routes(app):
        if not _int_args(rule):
            continue
        role = _login_for(client, access_of(rule.endpoint), users)
        if role not in token_for:
            token_for[role] = client.csrf("/login")
        for arg in _int_args(rule):
            for huge in HUGE:
                url = _fill(rule, {**{k: str(v) for k, v in ids.items()}, arg: huge})
                status = _status(client, method, url, data={"csrf_token": token_for[role]})
                if status >= 500:
                    problems.append(f"{method} {rule.rule} {arg}={huge[:24]} as {role}: {status}")
    assert problems == []


def test_oversized_integers_in_query_strings_never_give_a_server_error(app, client, populated):
    ids, users = populated
    names = _query_names(app)
    assert {"page", "level"} <= names["results"] and "run" in names["results"]  # the walk finds the probe's parameters
    problems = []
    for rule, method in _routes(app):
        if method != "GET":
            continue
        role = _login_for(client, access_of(rule.endpoint), users)
        base = _fill(rule, {k: str(v) for k, v in ids.items()})
        wanted = names[""] | names.get(rule.endpoint.split(".")[0], set())
        tries = [f"{name}={HUGE[1]}" for name in sorted(wanted)] + ["&".join(f"{n}={HUGE[2]}" for n in sorted(wanted))]
        for query in tries:
            status = _status(client, "GET", f"{base}?{query}")
            if status >= 500 and not (rule.endpoint == "main.healthz" and status == 503):  # 503: no worker here
                problems.append(f"GET {rule.rule}?{query[:40]} as {role}: {status}")
    assert problems == []


def test_an_oversized_page_or_run_is_answered_plainly(app, client, populated):
    """The two requests of the probe: the table falls back to its first page, the export says there is no such run."""
    ids, users = populated
    client.login(users["viewer"].username)
    page = client.get(f"/admin/results/{ids['campaign_id']}?page=99999999999999999999")
    assert page.status_code == 200 and 'data-testid="provisional-table"' in page.get_data(as_text=True)
    export = client.get(f"/admin/results/{ids['campaign_id']}/export?run=99999999999999999999")
    assert export.status_code == 404 and "Chưa có kết quả để xuất" in export.get_data(as_text=True)
    missing = client.get("/admin/results/99999999999999999999")
    assert missing.status_code == 404 and "Không tìm thấy" in missing.get_data(as_text=True)


# ---------------------------------------------------------------- the viewer's scope (issue 13 #12)
# Published results and provisional totals; never judges' marks (explanations), never what-if;
# in a blind campaign nothing provisional before the final publication.
ADMIN_ONLY_RESULTS = ("results.explain", "results.whatif", "results.publish", "results.midterm",
                      "results.recompute_now")


def test_results_routes_declare_the_viewer_scope(app):
    with app.test_request_context():
        for endpoint in ADMIN_ONLY_RESULTS:
            assert access_of(endpoint) == frozenset({"admin"}), endpoint
        for endpoint in ("results.index", "results.campaign", "results.status", "results.export"):
            assert access_of(endpoint) == frozenset({"admin", "viewer"}), endpoint


def _results_campaign(factory, *, blind: bool, status: str = "open"):
    from campaign.services.results import recompute

    units = [factory.unit(name="Quận Một"), factory.unit(name="Quận Hai")]
    camp = factory.campaign(units=units, status=status, settings={"blind": blind},
                            name="Phong trào kín" if blind else "Phong trào mở")
    for u in units:
        factory.entry(camp, u, status="submitted")
    db.session.commit()
    recompute.recompute_provisional(camp.id)
    return camp, units


def test_viewer_sees_provisional_totals_but_no_judges_marks_nor_what_if(app, client, factory):
    from campaign.services.results import recompute

    factory.user("viewer", username="xem")
    camp, units = _results_campaign(factory, blind=False)
    run = recompute.provisional_run(camp.id)
    client.login("xem")
    html = client.get(f"/admin/results/{camp.id}").get_data(as_text=True)
    assert 'data-testid="provisional-table"' in html and f'data-testid="total-{units[0].id}"' in html
    assert "whatif-link" not in html and "explain-" not in html and 'data-testid="publish"' not in html
    assert client.get(f"/admin/results/{camp.id}/runs/{run.id}/units/{units[0].id}").status_code == 403
    assert client.get(f"/admin/results/{camp.id}/whatif?aggregation=median").status_code == 403
    export = client.get(f"/admin/results/{camp.id}/export?format=csv")
    assert export.status_code == 200 and "Quận Một" in export.get_data(as_text=True)


def test_viewer_cannot_export_a_what_if_run(app, client, factory):
    from campaign.models import ScoreRun

    factory.user("viewer", username="xem")
    camp, _units = _results_campaign(factory, blind=False)
    whatif = ScoreRun(campaign_id=camp.id, kind="whatif", status="done", inputs_version=0)
    db.session.add(whatif)
    db.session.commit()
    client.login("xem")
    resp = client.get(f"/admin/results/{camp.id}/export?run={whatif.id}")
    assert resp.status_code == 404 and "Chưa có kết quả để xuất" in resp.get_data(as_text=True)


def test_blind_campaign_hides_provisional_results_from_viewer_until_published(app, client, factory):
    factory.user("viewer", username="xem")
    factory.user("admin", username="quantri")
    camp, units = _results_campaign(factory, blind=True)
    client.login("xem")
    html = client.get(f"/admin/results/{camp.id}").get_data(as_text=True)
    assert "Phong trào chấm kín: kết quả tạm tính chỉ được xem sau khi công bố kết quả." in html
    assert 'data-testid="provisional-table"' not in html and f"total-{units[0].id}" not in html
    assert client.get(f"/admin/results/{camp.id}/status.json").status_code == 403
    refused = client.get(f"/admin/results/{camp.id}/export?format=csv")
    assert refused.status_code == 403 and "Quận Một" not in refused.get_data(as_text=True)
    index = client.get("/admin/results/").get_data(as_text=True)
    assert f'data-testid="blind-hidden-{camp.id}"' in index
    # the commission sees it all the while
    client.login("quantri")
    assert f'data-testid="total-{units[0].id}"' in client.get(f"/admin/results/{camp.id}").get_data(as_text=True)
    # after the final publication the viewer sees the totals
    camp.status = "published"
    db.session.commit()
    client.login("xem")
    html = client.get(f"/admin/results/{camp.id}").get_data(as_text=True)
    assert f'data-testid="total-{units[0].id}"' in html and "chấm kín" not in html


def test_viewer_lands_on_the_results_list_and_finds_it_in_the_menu(app, client, factory):
    factory.user("viewer", username="xem")
    db.session.commit()
    client.login("xem")
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/admin/results/")
    html = client.get("/admin/results/").get_data(as_text=True)
    assert 'href="/admin/results/"' in html and "Kết quả thi đua" in html
