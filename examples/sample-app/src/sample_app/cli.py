"""The sample-app command line."""

import click

from sample_app.text import slugify, truncate


def render_table(rows):
    """Render (name, value) rows, fitted to the terminal width."""
    # click.get_terminal_size was deprecated in click 8.0 and removed in 8.1.
    width, _ = click.get_terminal_size()
    name_width = max((len(name) for name, _ in rows), default=0)
    return "\n".join(
        f"{name.ljust(name_width)}  {truncate(str(value), width - name_width - 2)}"
        for name, value in rows
    )


@click.group()
def main():
    """sample-app: small helpers."""


@main.command()
@click.argument("name")
def greet(name):
    """Say hello to NAME."""
    click.echo(f"Hello, {name}!")


@main.command()
@click.argument("text")
def slug(text):
    """Print TEXT as a slug."""
    click.echo(slugify(text))


@main.command()
def info():
    """Show facts about this installation."""
    import sys

    click.echo(render_table([("python", sys.version.split()[0]), ("click", click.__version__)]))
