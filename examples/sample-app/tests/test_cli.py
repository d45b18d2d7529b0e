from click.testing import CliRunner

from sample_app.cli import main, render_table


def test_greet():
    result = CliRunner().invoke(main, ["greet", "Ada"])
    assert result.exit_code == 0
    assert result.output == "Hello, Ada!\n"


def test_slug_command():
    result = CliRunner().invoke(main, ["slug", "Release Notes 2.0"])
    assert result.output.strip() == "release-notes-2-0"


def test_render_table_aligns_names():
    lines = render_table([("python", "3.9"), ("click", "7.1.2")]).splitlines()
    assert lines == ["python  3.9", "click   7.1.2"]
