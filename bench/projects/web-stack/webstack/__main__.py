"""First run of benchmark (e): use each direct dependency once, print one line."""

import datetime

import attrs
import click
import dateutil.parser
import httpx
import jinja2
import pydantic
import requests
import rich.text
import sqlalchemy
import structlog
import tenacity
import yaml


class Item(pydantic.BaseModel):
    name: str
    when: datetime.datetime


@attrs.define
class Row:
    n: int


def main() -> None:
    item = Item(name="probe", when=dateutil.parser.isoparse("2026-01-02T03:04:05"))
    engine = sqlalchemy.create_engine("sqlite://")
    with engine.connect() as conn:
        one = conn.execute(sqlalchemy.text("select 1")).scalar_one()
    doc = yaml.safe_load(jinja2.Template("n: {{ n }}").render(n=one))
    retry = tenacity.retry(stop=tenacity.stop_after_attempt(1))(lambda: Row(doc["n"]))
    req = httpx.Request("GET", "http://127.0.0.1/")
    prepared = requests.Request("GET", "http://127.0.0.1/").prepare()
    structlog.get_logger()
    text = rich.text.Text(f"{item.name} {retry().n} {req.method} {prepared.method}")
    click.echo(f"web-stack ok: {text.plain}")


if __name__ == "__main__":
    main()
