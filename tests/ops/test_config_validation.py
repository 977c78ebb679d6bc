"""Config and registry files: found where the README says, every mistake reported at once with
its file and line, dates parsed as dates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.config import ConfigError, find_config, load_config
from crawler.registry import RegistryError, load_file, load_sources
from monitor.cli import main
from tests.support.crawling import source, write_registry

LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+): "
    r"(?P<field>entry \d+(?: \(id '[^']*'\))?(?:: key '[^']+')?|[^:]+): (?P<msg>.+)$"
)


def problems(message: str) -> list[tuple[str, int, str, str]]:
    found = []
    for text in message.splitlines():
        match = LINE.match(text)
        if match:
            found.append((match["file"], int(match["line"]), match["field"], match["msg"]))
    return found


def test_a_config_with_three_mistakes_reports_three_lines_with_their_line_numbers(
    tmp_path: Path,
) -> None:
    config = tmp_path / "policywatch.toml"
    config.write_text(
        'database = "sqlite:///x.sqlite"\n'  # 1
        "\n"  # 2
        "[crawl]\n"  # 3
        'concurrency = "eight"\n'  # 4: a string, not a number
        "timeout = 30.0\n"  # 5
        "\n"  # 6
        "[schedule]\n"  # 7
        'cycle = "every day at six"\n'  # 8: not cron
        "\n"  # 9
        "[notify]\n"  # 10
        "failure_treshold = 3\n"  # 11: a typo
    )
    with pytest.raises(ConfigError) as err:
        load_config(config, env={})
    found = problems(str(err.value))
    assert [(f, line, field) for f, line, field, _ in found] == [
        (str(config), 4, "[crawl] concurrency"),
        (str(config), 8, "[schedule] cycle"),
        (str(config), 11, "[notify] failure_treshold"),
    ]
    messages = [m for *_, m in found]
    assert "must be a whole number" in messages[0]
    assert "cron" in messages[1] and "'0 6 * * *'" in messages[1]  # says what would be right
    assert "unknown key 'failure_treshold'; allowed: analysts" in messages[2]
    assert "failure_threshold" in messages[2]
    assert str(err.value).startswith(f"{config}: 3 problems")


def test_config_values_keep_their_toml_types_and_ranges(tmp_path: Path) -> None:
    config = tmp_path / "policywatch.toml"
    config.write_text(
        "[crawl]\ndownload_delay = 0\nobey_robots = 1\nlog_max_bytes = 10\n"
        "[cluster]\nbatch_size = 0\n"
    )
    with pytest.raises(ConfigError) as err:
        load_config(config, env={})
    found = {(line, field) for _, line, field, _ in problems(str(err.value))}
    # An int where a float is expected is fine (0 is 0.0); 1 is not true.
    assert found == {
        (3, "[crawl] obey_robots"),
        (4, "[crawl] log_max_bytes"),
        (6, "[cluster] batch_size"),
    }


def test_config_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work, xdg, system = tmp_path / "work", tmp_path / "xdg", tmp_path / "etc"
    work.mkdir()
    monkeypatch.chdir(work)
    env = {"XDG_CONFIG_HOME": str(xdg), "POLICYWATCH_SYSTEM_CONFIG_DIR": str(system)}
    assert find_config(None, env) is None
    assert load_config(None, env=env).path is None

    def write(path: Path, contact: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'[crawl]\ncontact = "{contact}"\n')
        return path

    write(system / "config.toml", "system")
    assert load_config(None, env=env).crawl.contact == "system"
    write(xdg / "policywatch" / "config.toml", "user")
    assert load_config(None, env=env).crawl.contact == "user"
    write(work / "policywatch.toml", "here")
    assert load_config(None, env=env).crawl.contact == "here"
    named = write(tmp_path / "named.toml", "named")
    assert load_config(None, env={**env, "POLICYWATCH_CONFIG": str(named)}).crawl.contact == (
        "named"
    )
    explicit = write(tmp_path / "explicit.toml", "explicit")
    chosen = load_config(explicit, env={**env, "POLICYWATCH_CONFIG": str(named)})
    assert (chosen.crawl.contact, chosen.path) == ("explicit", explicit)
    # Without XDG_CONFIG_HOME the user's file is under ~/.config.
    (work / "policywatch.toml").unlink()
    home = tmp_path / "home"
    write(home / ".config" / "policywatch" / "config.toml", "home")
    plain = {"HOME": str(home), "POLICYWATCH_SYSTEM_CONFIG_DIR": str(system)}
    assert load_config(None, env=plain).crawl.contact == "home"


def test_relative_source_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    config = tmp_path / "etc" / "config.toml"
    config.write_text('sources = ["mine.toml"]\nextra_sources = ["/abs/more.toml"]\n')
    cfg = load_config(config, env={})
    assert cfg.sources == [str(tmp_path / "etc" / "mine.toml")]
    assert cfg.extra_sources == ["/abs/more.toml"]


def _two_bad_entries(tmp_path: Path) -> Path:
    return write_registry(
        tmp_path / "sources.toml",
        [
            source("good-entry", "https://good.example/k", verified="2025-01-31"),
            source("bad-url", "ftp://bad.example/k"),
            source("good-too", "https://good.example/k2"),
            source("bad-enum-and-date", "https://bad.example/k", state="XX", verified="31/01"),
        ],
    )


def test_a_registry_file_with_two_bad_entries_reports_both(tmp_path: Path) -> None:
    registry = _two_bad_entries(tmp_path)
    lines = registry.read_text().splitlines()
    with pytest.raises(RegistryError) as err:
        load_file(registry)
    found = problems(str(err.value))
    assert [(f, field) for f, _, field, _ in found] == [
        (str(registry), "entry 2 (id 'bad-url'): key 'url'"),
        (str(registry), "entry 4 (id 'bad-enum-and-date'): key 'state'"),
        (str(registry), "entry 4 (id 'bad-enum-and-date'): key 'verified'"),
    ]
    # Each line number points at the offending key in the file.
    for (_, line, field, _), key in zip(found, ["url", "state", "verified"], strict=True):
        assert lines[line - 1].startswith(f"{key} ="), (line, field)
    assert "must start with http:// or https://" in found[0][3]
    assert "expected one of: AL, AK" in found[1][3]
    assert "YYYY-MM-DD" in found[2][3]


def test_errors_of_every_registry_file_are_reported_together(tmp_path: Path) -> None:
    first = _two_bad_entries(tmp_path)
    second = write_registry(
        tmp_path / "more.toml", [source("good-entry", "https://dup.example/"), {"id": "x"}]
    )
    with pytest.raises(RegistryError) as err:
        load_sources([first, second])
    text = str(err.value)
    # 3 in the first file; in the second: a duplicate id, a bad id and 6 missing keys.
    assert text.startswith("11 problems in the registry")
    assert "duplicate id 'good-entry'" in text and f"{second}:" in text
    assert "entry 2 (id 'x'): key 'id'" in text  # too short for an id
    assert "key 'payer': required key is missing" in text


def test_dates_are_parsed_as_dates(tmp_path: Path) -> None:
    registry = tmp_path / "dates.toml"
    entry = (
        'payer = "P"\nplan_type = "commercial"\nstate = "US"\ndocument_type = "pdl"\ntitle = "T"\n'
    )
    registry.write_text(
        f'[[source]]\nid = "toml-date"\nurl = "https://a.example/"\n{entry}verified = 2025-01-31\n'
        f'[[source]]\nid = "text-date"\nurl = "https://b.example/"\n{entry}'
        'verified = "2025-02-01"\n'
        f'[[source]]\nid = "no-date"\nurl = "https://c.example/"\n{entry}verified = ""\n'
    )
    assert [s.verified for s in load_file(registry)] == ["2025-01-31", "2025-02-01", ""]
    registry.write_text(
        f'[[source]]\nid = "not-a-day"\nurl = "https://a.example/"\n{entry}'
        'verified = "2025-02-30"\n'
    )
    with pytest.raises(RegistryError, match=r"dates.toml:9: .*'verified': '2025-02-30' is not"):
        load_file(registry)


def test_sources_validate_prints_every_error(tmp_path: Path) -> None:
    registry = _two_bad_entries(tmp_path)
    result = CliRunner().invoke(main, ["sources", "validate", "--sources", str(registry)])
    assert result.exit_code == 1
    found = problems(result.stderr)
    assert len(found) == 3
    assert "run `policywatch sources validate` again" in result.stderr


def test_a_broken_config_stops_a_command_with_every_problem(tmp_path: Path) -> None:
    config = tmp_path / "policywatch.toml"
    config.write_text("[crawl]\nretries = -1\n[report]\nout = 'x'\n")
    result = CliRunner().invoke(main, ["sources", "list", "--config", str(config)])
    assert result.exit_code == 1
    assert [(line, field) for _, line, field, _ in problems(result.stderr)] == [
        (2, "[crawl] retries"),
        (4, "[report] out"),
    ]
