"""Issue 12: read-only assets, a confined results page, size limits and atomic outputs.

No server here: the asset handler is called as an ASGI app; the results page's Python
side (path confinement, Markdown, figures) directly; limits and --force through the CLI.
HTTP probes against a real ``egov-sim serve`` are in test_serve_http.py.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cli
from PIL import Image
from starlette.applications import Starlette
from starlette.routing import Mount

from simulation.cli import main
from simulation.experiments.design import (
    HARD_MAX_RUNS,
    check_size,
    estimated_seconds,
    planned_points,
    seconds_per_run,
)
from simulation.experiments.spec import load_experiment
from simulation.io.atomic import atomic_dir, atomic_replace, swap_in
from simulation.io.scenario_io import MAX_NESTING, MAX_PARTIES, ScenarioError, load_scenario
from simulation.webapp.assets import ReadOnlyAssets, protect_cdn
from simulation.webapp.results import (
    Figure,
    OutsideRoot,
    find_reports,
    md_html,
    other_figures,
    read_figure,
    split_report,
    within,
)


# ---------------------------------------------------------------------- assets
def asgi_get(app, path: str, method: str = "GET") -> tuple[int, bytes]:
    """One request to an ASGI app, without a server."""
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "scheme": "http",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    async def call():
        try:
            await app(scope, receive, send)
        except Exception as exc:  # starlette's HTTPException outside an app
            status = getattr(exc, "status_code", None)
            if status is None:
                raise
            sent.append({"type": "http.response.start", "status": status})

    asyncio.run(call())
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


@pytest.fixture
def cdn(tmp_path):
    root = tmp_path / "cdn"
    (root / "pkg@1.0.0" / "dist").mkdir(parents=True)
    (root / "pkg@1.0.0" / "dist" / "app.js").write_text("console.log(1)")
    (root / "requirejs@2.3.6").mkdir()
    (root / "requirejs@2.3.6" / "__main.js").write_text("define()")
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "secret.txt", root / "pkg@1.0.0" / "link.js")
    app = Starlette(routes=[Mount("/_solara/cdn", app=ReadOnlyAssets(root))])
    return root, app


def test_folder_request_is_404_and_deletes_nothing(cdn):
    root, app = cdn
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    for path in ("/_solara/cdn/pkg@1.0.0/dist", "/_solara/cdn/pkg@1.0.0/dist/", "/_solara/cdn/pkg@1.0.0"):
        assert asgi_get(app, path)[0] == 404
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert asgi_get(app, "/_solara/cdn/pkg@1.0.0/dist/app.js") == (200, b"console.log(1)")


def test_assets_are_read_only_and_confined(cdn):
    root, app = cdn
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    assert asgi_get(app, "/_solara/cdn/requirejs@2.3.6") == (200, b"define()")  # bare name: __main.js
    assert asgi_get(app, "/_solara/cdn/missing@1.0.0/x.js")[0] == 404  # not fetched
    assert asgi_get(app, "/_solara/cdn/pkg@1.0.0/link.js")[0] == 404  # symlink out of the folder
    assert asgi_get(app, "/_solara/cdn/../secret.txt")[0] == 404
    assert asgi_get(app, "/_solara/cdn/%2e%2e/secret.txt")[0] == 404
    assert asgi_get(app, "/_solara/cdn/pkg@1.0.0/dist/app.js", method="DELETE")[0] == 405
    assert asgi_get(app, "/_solara/cdn/pkg@1.0.0/dist/app.js", method="PUT")[0] == 405
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_protect_cdn_replaces_solaras_handler():
    class Solaras:  # stands for solara's StaticCdn
        async def __call__(self, scope, receive, send):  # pragma: no cover - never called
            raise AssertionError

    app = Starlette(routes=[Mount("/other", app=Solaras()), Mount("/_solara/cdn", app=Solaras())])
    assert protect_cdn(app)
    mounts = {r.path: r.app for r in app.router.routes}
    assert isinstance(mounts["/_solara/cdn"], ReadOnlyAssets)
    assert isinstance(mounts["/other"], Solaras)


def test_solara_server_app_is_protected_once_the_app_module_loads():
    import solara.server.starlette as server

    import simulation.webapp.app  # noqa: F401 - its import installs the handler

    cdn = [r for r in server.app.router.routes if getattr(r, "path", None) == "/_solara/cdn"]
    assert len(cdn) == 1 and isinstance(cdn[0].app, ReadOnlyAssets)


# ---------------------------------------------------------------------- results page
@pytest.fixture
def results(tmp_path):
    root = tmp_path / "results"
    sweep = root / "sweep"
    (sweep / "figures").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(sweep / "figures" / "a.png")
    (sweep / "report.md").write_text("# R\n![a](figures/a.png)\n", encoding="utf-8")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "report.md").write_text("# secret\n", encoding="utf-8")
    return root, sweep, outside


def test_results_folder_must_be_under_the_root(results, tmp_path):
    root, sweep, outside = results
    assert within(root, "") == root.resolve()
    assert within(root, "sweep") == sweep.resolve()
    assert within(root, str(sweep)) == sweep.resolve()
    for typed in ("/", "/etc", "..", "../elsewhere", str(outside), "sweep/../../elsewhere", "~", "a\x00b"):
        with pytest.raises(OutsideRoot):
            within(root, typed)
    os.symlink(outside, root / "link")
    with pytest.raises(OutsideRoot, match="outside the results folder"):
        within(root, "link")


def test_find_reports_does_not_follow_symlinks_out(results):
    root, sweep, outside = results
    os.symlink(outside, root / "link")
    os.symlink(outside / "report.md", root / "report.md")
    assert find_reports(root) == [sweep]


def test_passwd_and_non_images_are_never_sent(results):
    root, sweep, _ = results
    os.symlink("/etc/passwd", sweep / "passwd.png")
    (sweep / "fake.png").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (sweep / "report.md").write_text(
        "# R\n![a](figures/a.png)\n![p](passwd.png)\n![f](fake.png)\n![abs](/etc/passwd)\n"
        "![up](../../../../etc/passwd)\n",
        encoding="utf-8",
    )
    figs = [p for p in split_report(sweep) if isinstance(p, Figure)]
    sent = {f.path.name: read_figure(f) for f in figs}
    assert sent["a.png"] is not None and sent["a.png"].startswith(b"\x89PNG")
    assert sent.get("passwd.png") is None  # resolves outside the sweep folder
    assert sent.get("fake.png") is None  # not a PNG by its bytes
    assert not any(b"root:" in (data or b"") for data in sent.values())
    extra = other_figures(sweep, {f.path.resolve() for f in figs})
    assert all(read_figure(f) is None or b"root:" not in read_figure(f) for f in extra)
    assert "passwd.png" not in [f.path.name for f in extra]


def test_markdown_strips_script_links_remote_images_and_html():
    html = md_html(
        "[click](javascript:alert(1)) [data](data:text/html,<script>x</script>) "
        "[remote](https://evil.example/x) [ok](#section)\n\n"
        "![pixel](https://evil.example/pixel.gif) ![local](figures/a.png)\n\n"
        "[ref][r]\n\n[r]: javascript:alert(2)\n\n"
        '<img src="https://evil.example/p.gif"> <script>alert(3)</script> <a href="javascript:x">a</a>\n\n'
        "<https://evil.example/auto>\n"
    )
    tags = parse_tags(html)
    assert {t for t, _ in tags} <= {"p", "a", "span"}, tags  # no img, script, iframe ...
    attrs = [(t, k, v) for t, a in tags for k, v in a]
    assert all(k in {"class", "href"} for _, k, _ in attrs), attrs
    assert [v for _, k, v in attrs if k == "href"] == ["#section"]
    assert 'href="#section"' in html  # in-page anchors keep working
    assert "[image: pixel]" in html and "click" in html and "&lt;script&gt;" in html


def parse_tags(html: str) -> list[tuple[str, list[tuple[str, str]]]]:
    from html.parser import HTMLParser

    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collect().feed(html)
    return found


# ---------------------------------------------------------------------- limits
def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text",
    [
        "[run]\nx = " + "[" * 5000 + "]" * 5000 + "\n",
        "x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
        "a" + ".a" * 5000 + " = 1\n",
        "[" + ".".join(["t"] * 600) + "]\nx = 1\n",
        "[[" + ".".join(["t"] * 600) + "]]\nx = 1\n",
        "x = [" + "{a = [" * 400 + "]}" * 400 + "]\n",
    ],
    ids=["arrays", "inline-tables", "dotted-keys", "tables", "array-of-tables", "mixed"],
)
def test_deep_nesting_is_refused_cleanly(tmp_path, text):
    path = write(tmp_path, "deep.toml", text)
    with pytest.raises(ScenarioError, match=f"nested more than {MAX_NESTING} levels") as err:
        load_scenario(path)
    assert str(path) in str(err.value)


def test_deep_set_value_is_refused(capsys):
    assert (
        main(["validate", "municipality_building_housing", "--set", "run.seed=" + "[" * 3000 + "]" * 3000])
        == 2
    )
    assert "--set run.seed: line 1: value nested more than" in capsys.readouterr().err


def test_brackets_in_strings_and_comments_do_not_count(tmp_path):
    text = '# [[[[[[[[[[[[[[[[[[[[[[\n[service]\nmodel = "integration" # {{{{{{{{{{{{{{{{{{{{{{{{\n'
    text += "[organisation]\n" + "name = '" + "[" * 40 + "'\n" + 'motto = """' + "{" * 40 + '"""\n'
    path = write(tmp_path, "ok.toml", text)
    with pytest.raises(ScenarioError, match="unknown key"):  # parsed: the names are the only problem
        load_scenario(path)


def parties_toml(groups: int, count: int) -> str:
    block = "[[{s}.groups]]\nname = 'g{i}'\ncount = {c}\n"
    return "".join(
        block.format(s=s, i=i, c=count) for s in ("departments", "partners") for i in range(groups)
    )


def test_too_many_parties_are_refused_before_running(tmp_path):
    path = write(tmp_path, "many.toml", parties_toml(50, 500))  # 50,000 parties, each key within range
    with pytest.raises(ScenarioError, match=f"50,000 parties .* at most {MAX_PARTIES:,}"):
        load_scenario(path)
    out = tmp_path / "out"
    rc = main(["run", str(path), "--out", str(out)])
    assert rc == 2 and not out.exists()
    assert load_scenario(write(tmp_path, "fine.toml", parties_toml(2, 5))).departments.count == 10


def test_oversized_file_is_refused(tmp_path):
    path = write(tmp_path, "big.toml", "# " + "x" * (2 * 2**20) + "\n")
    with pytest.raises(ScenarioError, match="at most 1,048,576"):
        load_scenario(path)


def experiment(tmp_path: Path, body: str) -> Path:
    head = '[experiment]\nbase = "municipality_building_housing"\nmonths = 12\n'
    return write(tmp_path, "exp.toml", head + body)


def test_huge_designs_are_refused_before_anything_is_built(tmp_path):
    levels = ", ".join(str(i / 1000) for i in range(1000))
    fact = experiment(
        tmp_path,
        'design = "factorial"\nreplications = 1\n[factors]\n'
        f"citizens.p = [{levels}]\ncitizens.q = [{levels}]\nnegotiation.consultation = [{levels}]\n",
    )
    exp = load_experiment(fact)
    assert planned_points(exp) == 10**9
    with pytest.raises(ScenarioError, match="1,000,000,000 runs; at most"):
        check_size(exp, yes=True)
    out = tmp_path / "out"
    assert main(["sweep", str(fact), "--out", str(out), "--yes"]) == 2 and not out.exists()
    lhs = experiment(
        tmp_path,
        'design = "lhs"\nsamples = 1000000\nreplications = 100000\n[factors]\ncitizens.p = {min = 0, max = 0.01}\n',
    )
    assert main(["sweep", str(lhs), "--out", str(out)]) == 2 and not out.exists()


def test_large_design_needs_yes_and_says_how_long(tmp_path, capsys):
    path = experiment(
        tmp_path,
        'design = "factorial"\nreplications = 100000\n[factors]\nservice.model = ["integration", "fragmentation"]\n',
    )
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "200,000 runs, about" in err and "--yes" in err and not out.exists()
    exp = load_experiment(path)
    assert check_size(exp, yes=True) == 200_000 <= HARD_MAX_RUNS
    assert check_size(exp, max_runs=200_000) == 200_000
    assert main(["compare", "--replications", "100000", "--out", str(out)]) == 2
    assert "--yes" in capsys.readouterr().err and not out.exists()


def test_the_estimate_uses_the_base_scenarios_sizes_and_grows_with_each(tmp_path):
    # The constants are checked against measured runs by benchmarks/bench_estimate.py;
    # here only that the estimate is wired to the experiment's own sizes.
    exp = load_experiment(experiment(tmp_path, "replications = 3\n"))
    cfg = exp.base_config()
    parties = cfg.departments.count + cfg.partners.count
    one = seconds_per_run(cfg.citizens.count, parties, exp.months)
    assert estimated_seconds(exp, 30, workers=2) == pytest.approx(15 * one)
    base = (1000, 10, 12)
    for i in range(3):
        bigger = list(base)
        bigger[i] *= 4
        assert seconds_per_run(*bigger) > seconds_per_run(*base)


def test_deep_factor_levels_are_refused(tmp_path):
    path = experiment(
        tmp_path, 'design = "factorial"\n[factors]\nrun.seed = ' + "[" * 800 + "1" + "]" * 800 + "\n"
    )
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out)]) == 2 and not out.exists()


# ---------------------------------------------------------------------- atomic outputs
def test_swap_replaces_the_whole_folder(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.csv").write_text("old")
    (target / "kpis.json").write_text("old")
    with atomic_replace(target) as tmp:
        (tmp / "kpis.json").write_text("new")
        assert (target / "kpis.json").read_text() == "old"  # untouched until the end
    assert sorted(p.name for p in target.iterdir()) == ["kpis.json"]
    assert (target / "kpis.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temp or old folder left


def test_failed_write_leaves_the_old_folder(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "kpis.json").write_text("old")
    with pytest.raises(RuntimeError), atomic_replace(target) as tmp:
        (tmp / "kpis.json").write_text("half")
        raise RuntimeError("killed")
    assert [p.name for p in target.iterdir()] == ["kpis.json"] and (target / "kpis.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_exchange_swaps_two_folders_in_one_step_without_subprocess(tmp_path):
    """On Linux the swap is one renameat2(RENAME_EXCHANGE), found among the process's own
    symbols: no ctypes.util (which imports subprocess and runs ldconfig)."""
    import simulation.io.atomic as atomic

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    (b / "y").write_text("b")
    code = (
        "import sys; from pathlib import Path; import simulation.io.atomic as m; "
        f"ok = m._exchange(Path({str(a)!r}), Path({str(b)!r})); "
        "print(ok, 'ctypes.util' in sys.modules, 'subprocess' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    swapped, imported = out.split()[0], out.split()[1:]
    assert imported == ["False", "False"]
    if swapped == "False":  # the fallback (two renames) is tested below
        pytest.skip(f"{tmp_path}: file system without RENAME_EXCHANGE")
    assert [p.name for p in a.iterdir()] == ["y"] and [p.name for p in b.iterdir()] == ["x"]
    assert atomic._exchange(a, b) and [p.name for p in a.iterdir()] == ["x"]


def test_swap_without_exchange_falls_back_to_two_renames(tmp_path, monkeypatch):
    import simulation.io.atomic as atomic

    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    target, new = tmp_path / "out", tmp_path / "new"
    target.mkdir()
    new.mkdir()
    (target / "a").write_text("old")
    (new / "b").write_text("new")
    swap_in(new, target)
    assert [p.name for p in target.iterdir()] == ["b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_run_refuses_a_non_empty_out_unless_forced(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    base = [
        "run",
        "municipality_building_housing",
        "--steps",
        "3",
        "--set",
        "citizens.count=200",
        "--out",
        str(out),
    ]
    r = cli(*base)
    assert r.returncode == 2 and "not empty" in r.stderr and "--force" in r.stderr
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    r = cli(*base, "--force")
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in out.iterdir())
    assert "mine.txt" not in names and "kpis.json" in names
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert (
        main(
            [
                "run",
                "municipality_building_housing",
                "--steps",
                "2",
                "--set",
                "citizens.count=200",
                "--out",
                str(empty),
            ]
        )
        == 0
    )


def test_compare_refuses_a_non_empty_out(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "x").write_text("x")
    assert main(["compare", "--replications", "1", "--citizens", "100", "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err and [p.name for p in out.iterdir()] == ["x"]


def test_stale_temp_folders_of_killed_writers_are_removed(tmp_path):
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f".out.tmp-{dead.pid}-abc"
    stale.mkdir()
    (stale / "kpis.json").write_text("half")
    live = tmp_path / f".out.tmp-{os.getppid()}-abc"  # a running process: kept
    live.mkdir()
    other = tmp_path / f".other.tmp-{dead.pid}-abc"  # another folder's: kept
    other.mkdir()
    with atomic_replace(tmp_path / "out") as tmp:
        (tmp / "kpis.json").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", live.name, other.name])
    with atomic_dir(tmp_path / "out") as tmp:  # adding files: the others stay
        (tmp / "report.md").write_text("r")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["kpis.json", "report.md"]


@pytest.mark.slow
def test_killed_forced_run_never_leaves_a_mixed_folder(tmp_path):
    """SIGKILL ``run --out OLD --force`` at different moments: OLD is always all old or all new."""
    import json
    import signal
    import subprocess
    import time

    from conftest import REPO, egov_sim

    out = tmp_path / "out"
    first = ["run", "municipality_building_housing", "--steps", "3", "--set", "citizens.count=200"]
    assert cli(*first, "--seed", "1", "--out", out).returncode == 0
    names = sorted(p.name for p in out.iterdir())
    outcomes = []
    for i, delay in enumerate([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]):
        proc = subprocess.Popen(
            [*egov_sim(), *first, "--seed", str(100 + i), "--out", str(out), "--force"],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ, MPLBACKEND="Agg"),
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert sorted(p.name for p in out.iterdir()) == names, f"kill after {delay} s: {list(out.iterdir())}"
        seeds = {json.loads((out / "manifest.json").read_text())["seed"]}
        kpis = json.loads((out / "kpis.json").read_text())
        last = (out / "timeseries.csv").read_text().splitlines()
        adoption = float(last[-1].split(",")[last[0].split(",").index("adoption")])
        assert adoption == pytest.approx(kpis["final_adoption"]), (
            "kpis.json and timeseries.csv from different runs"
        )
        outcomes.append(seeds.pop())
    # Every folder was one run's: the manifest's seed is the first run's or a killed one's.
    assert set(outcomes) <= {1, *range(100, 108)}
