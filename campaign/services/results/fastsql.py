"""Reading many rows fast: plain DBAPI tuples and float matrices, no Row objects.

A recompute reads hundreds of thousands of numbers; SQLAlchemy ``Row`` objects cost
several times the query itself (../shared/docs/performance-reliability.md §4), so the hot reads go through
the raw cursor of the session's connection (same transaction).
"""
from __future__ import annotations

import os
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain

import numpy as np
import orjson
import sqlalchemy as sa

from campaign.extensions import db


def fetch(stmt, types: list | None = None) -> list[tuple]:
    """Run a Core select on the session's connection and return plain tuples.

    ``types`` (a list) receives each column's DBAPI type code (``cursor.description``).

    Parameters must be integers/booleans chosen by the caller (literal binding).
    ``THIDUA_RECOMPUTE_TRACE=1`` prints each query's time (``full`` prints the SQL).
    PostgreSQL results come in binary (psycopg 3): floats need no text parsing, which
    halves the fetch of ~160,000 ledger rows; the values are the same bit for bit.
    """
    conn = db.session.connection()
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    dbapi = conn.connection.dbapi_connection
    cur = dbapi.cursor(binary=True) if conn.dialect.name == "postgresql" else dbapi.cursor()
    try:
        t, c = time.perf_counter(), time.process_time()
        cur.execute(sql)
        out = cur.fetchall()
        if types is not None:
            types.extend(d[1] for d in cur.description or ())
        trace = os.environ.get("THIDUA_RECOMPUTE_TRACE")
        if trace:
            print(f"  sql {time.perf_counter() - t:.3f}s cpu {time.process_time() - c:.3f}s rows={len(out)} "
                  f"{sql if trace == 'full' else sql[:90]!r}")
        return out
    finally:
        cur.close()


def as_matrix(rows: list[tuple], ncols: int) -> np.ndarray:
    """Numeric tuples as a float matrix (``np.fromiter`` is ~3× faster than ``np.array``)."""
    try:
        return np.fromiter(chain.from_iterable(rows), dtype=float, count=len(rows) * ncols).reshape(-1, ncols)
    except TypeError:  # a NULL somewhere
        return np.array([[np.nan if x is None else x for x in r] for r in rows], dtype=float).reshape(-1, ncols)


def fetch_matrix(stmt, ncols: int, *, max_rows: int | None = None, plain=None, out_type=float) -> np.ndarray:
    """``as_matrix(fetch(stmt), ncols)`` (or ``plain(stmt, ncols)``), faster on PostgreSQL for a
    select of numbers: plain INTEGER/FLOAT columns, or expressions typed integer or float.

    There the query returns ONE row: every selected row's fields as their binary bytes
    (``int4send``/``int8send``/``float8send``), concatenated by ``string_agg``, which numpy reads in
    one go — no Python tuple per row (the ledger's 1,600,000 rows at 100,000 units: ~0.8 s instead
    of ~1.7 s). Floats travel as their 8 bytes, integers exactly, so the matrix is the same bit for
    bit; the order of the rows is unspecified (as in :func:`fetch` without ORDER BY). A row with a
    NULL drops out of the aggregate: then (and for other databases or types, or when ``max_rows``
    rows could exceed ``MAX_AGG_BYTES``) the plain path runs instead. ``out_type=np.int64`` gives
    integers exactly (64-bit hashes, which a float matrix would round).
    """
    if plain is None:
        plain = ((lambda st, k: as_matrix(fetch(st), k)) if out_type is float
                 else (lambda st, k: np.array(fetch(st), dtype=out_type).reshape(-1, k)))
    fields = _send_fields(stmt) if db.session.connection().dialect.name == "postgresql" else None
    if fields is None or len(fields) != ncols:
        return plain(stmt, ncols)
    dtype = np.dtype([(f"c{k}", code) for k, (code, _) in enumerate(fields)])
    if max_rows is not None and max_rows * dtype.itemsize > MAX_AGG_BYTES:
        return plain(stmt, ncols)
    sub = stmt.subquery()
    sent = [send(c) for c, (_, send) in zip(sub.c, fields, strict=True)]
    record = sent[0]
    for f in sent[1:]:
        record = record.op("||")(f)
    with _serial_plan():
        count, data = fetch(sa.select(sa.func.count(), sa.func.string_agg(record, sa.literal_column("''::bytea")))
                            .select_from(sub))[0]
    if data is None or len(data) != count * dtype.itemsize:  # no rows, or rows with a NULL (left out)
        return np.empty((0, ncols), dtype=out_type) if count == 0 else plain(stmt, ncols)
    rec = np.frombuffer(data, dtype=dtype)
    out = np.empty((count, ncols), dtype=out_type)
    for k in range(ncols):
        out[:, k] = rec[f"c{k}"]
    return out


def among(column, ids: np.ndarray, subquery) -> tuple[sa.ColumnElement[bool], int]:
    """A filter keeping ``column`` to ``ids`` (what ``subquery`` selects, read already), and a bound
    on how many distinct keys it lets through.

    ``column IN (subquery)`` probes a hash of the ids once per row; where the ids fill most of the
    range between their least and greatest (a campaign's entries and assignments are created in
    batches) ``column BETWEEN lo AND hi`` lets the few keys of other campaigns in that range
    through, and the CALLER drops their rows (it maps keys to its own rows anyway): a range check
    per row instead of a probe, ~1.2 s less over 6,000,000 marks on PostgreSQL. SQLite looks each
    id of an ``IN`` up in the index already, and a range made it group through a temporary B-tree
    (~5 % slower): there the semi-join stays.
    """
    if not len(ids) or db.session.get_bind().dialect.name != "postgresql":
        return column.in_(subquery), len(ids)
    lo, hi = int(ids.min()), int(ids.max())
    span = hi - lo + 1
    if span <= len(ids) * 3 // 2 + 1024:
        return column.between(lo, hi), span
    return column.in_(subquery), len(ids)


@contextmanager
def _serial_plan() -> Iterator[None]:
    """No parallel workers for one query (PostgreSQL, this transaction's setting restored after).

    ``string_agg`` runs in the leader alone: workers would only scan and pass every row to it
    through shared memory, which costs more than the scan they save (6,000,000 marks: ~1.6 s
    with two workers, ~1.2 s without), and two reads running side by side (values and marks)
    would share two cores among six processes.
    """
    conn = db.session.connection()
    before = conn.exec_driver_sql(  # one round trip: the value in force, then 0 (select items run in order)
        "SELECT current_setting('max_parallel_workers_per_gather'), "
        "set_config('max_parallel_workers_per_gather', '0', true)").first()[0]
    yield  # (a failed query leaves the transaction aborted: its rollback restores the setting)
    if int(before) != 0:
        conn.exec_driver_sql(f"SELECT set_config('max_parallel_workers_per_gather', '{int(before)}', true)")


MAX_AGG_BYTES = 384 * 2 ** 20  # one bytea value is at most 1 GB in PostgreSQL (and string_agg doubles its buffer)


def _send_fields(stmt) -> list | None:
    """Per selected column, its numpy code and SQL binary encoder: a table's INTEGER column as int4,
    any other integer-typed expression as int8, a float-typed one as float8; None if one is not a number."""
    out: list = []
    for c in stmt.selected_columns:
        t = c.type
        if isinstance(c, sa.Column) and c.table is not None and type(t) is sa.Integer:
            out.append((">i4", sa.func.int4send))
        elif isinstance(t, sa.Integer):  # BigInteger, SmallInteger, an integer expression
            out.append((">i8", lambda x: sa.func.int8send(sa.cast(x, sa.BigInteger))))
        elif type(t) is sa.Float and t.precision is None:
            out.append((">f8", lambda x: sa.func.float8send(sa.cast(x, sa.Float))))
        else:
            return None
    return out


def insert_rows(table, columns: list[str], rows: list[tuple]) -> None:
    """Bulk-insert plain tuples on the session's connection (same transaction).

    PostgreSQL gets ``COPY … FROM STDIN`` (psycopg 3); others a DBAPI ``executemany``.
    PostgreSQL rows must be ints/floats (written with ``repr``, exact for floats).
    Both are several times faster than an ORM/Core insert of as many dicts.
    """
    if not rows:
        return
    conn = db.session.connection()
    dbapi = conn.connection.dbapi_connection
    cols = ", ".join(columns)
    cur = dbapi.cursor()
    try:
        if conn.dialect.name == "postgresql":
            # numbers only (callers' rows): one text buffer beats write_row per row ~4×
            with cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:
                for k in range(0, len(rows), 20 * CHUNK_ROWS):
                    copy.write("".join("\t".join(map(repr, row)) + "\n" for row in rows[k:k + 20 * CHUNK_ROWS]))
        else:
            marks = ", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * len(columns))
            cur.executemany(f"INSERT INTO {table.name} ({cols}) VALUES ({marks})", rows)
    finally:
        cur.close()


def insert_columns(table, columns: list[str], arrays: list[np.ndarray]) -> None:
    """Bulk-insert columns of numbers (one numpy array per column, in ``columns`` order).

    PostgreSQL: ``COPY … (FORMAT BINARY)`` whose buffer numpy builds in one go — no Python work
    per row (the text COPY of a 160,000-row ledger spent ~0.8 s in ``repr``); floats travel as
    their 8 bytes, so the stored values are the same bit for bit. Other databases, or columns
    that are not plain INTEGER/FLOAT: :func:`insert_rows`.
    """
    n = len(arrays[0]) if arrays else 0
    if n == 0:
        return
    conn = db.session.connection()
    fields = _binary_fields(table, columns, arrays) if conn.dialect.name == "postgresql" else None
    if fields is None:
        insert_rows(table, columns, list(zip(*(a.tolist() for a in arrays), strict=True)))
        return
    rec = np.empty(min(n, BINARY_ROWS), dtype=[("count", ">i2")] + [
        f for k, code in enumerate(fields) for f in ((f"len{k}", ">i4"), (f"v{k}", code))])
    rec["count"] = len(columns)
    for k, code in enumerate(fields):
        rec[f"len{k}"] = int(code[-1])
    cur = conn.connection.dbapi_connection.cursor()
    try:
        with cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
            for start in range(0, n, BINARY_ROWS):
                part = rec[:min(BINARY_ROWS, n - start)]
                for k, a in enumerate(arrays):
                    part[f"v{k}"] = a[start:start + len(part)]
                copy.write(part.tobytes())
            copy.write(struct.pack(">h", -1))
    finally:
        cur.close()


def _binary_fields(table, columns: list[str], arrays: list[np.ndarray]) -> list[str] | None:
    """Big-endian numpy codes of the columns' binary COPY fields, or None when one is not a plain
    INTEGER (int4, values in range) or FLOAT (float8)."""
    out = []
    for name, a in zip(columns, arrays, strict=True):
        t = table.c[name].type
        if type(t) is sa.Integer and a.dtype.kind in "iub":
            if len(a) and (int(a.min()) < -2 ** 31 or int(a.max()) >= 2 ** 31):
                return None
            out.append(">i4")
        elif type(t) is sa.Float and t.precision is None and a.dtype.kind == "f":
            out.append(">f8")
        else:
            return None
    return out


BINARY_ROWS = 100_000


def _copy_field(v) -> str:
    """One value in PostgreSQL's COPY text format."""
    if v is None:
        return "\\N"
    if v is True or v is False:
        return "t" if v else "f"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, int):
        return str(v)
    return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _plain(value):
    """What orjson cannot write as is: numpy numbers (and float subclasses) as Python numbers."""
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.integer):
        return int(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def json_text(value) -> str:
    """A value as JSON text, as SQLAlchemy's JSON type would store it (None as JSON null); orjson is
    ~8× the standard library on the explanations of a campaign's result rows."""
    return orjson.dumps(value, default=_plain, option=_JSON_OPTIONS).decode()


def _copy_json(value) -> str:
    """A JSON value in COPY text format (JSON escapes its control characters; only backslashes remain)."""
    return json_text(value).replace("\\", "\\\\")


def insert_values(table, columns: list[str], rows: list[tuple], json_columns: frozenset = frozenset(), *,
                  into: str | None = None) -> None:
    """Bulk-insert rows of any plain values (strings, None, booleans; ``json_columns`` serialised
    as SQLAlchemy's JSON type stores them, None as JSON null) on the session's connection; ``into``
    names another table of the same columns (a temporary one)."""
    if not rows:
        return
    conn = db.session.connection()
    copy_text = conn.dialect.name == "postgresql"
    formats = [(_copy_json if copy_text else json_text) if c in json_columns else (_copy_field if copy_text else None)
               for c in columns]

    def chunks():  # serialised a few thousand rows at a time: 100,000 explanations are ~0.4 GB of JSON
        for k in range(0, len(rows), CHUNK_ROWS):
            part = rows[k:k + CHUNK_ROWS]
            # column by column: one formatter per column, not a type test per value
            yield [list(map(f, col)) if f is not None else col for f, col in zip(formats, zip(*part, strict=True), strict=True)]

    cols = ", ".join(columns)
    cur = conn.connection.dbapi_connection.cursor()
    try:
        if copy_text:
            with cur.copy(f"COPY {into or table.name} ({cols}) FROM STDIN") as copy:
                for part in chunks():
                    copy.write("".join(["\t".join(r) + "\n" for r in zip(*part, strict=True)]))
        else:
            marks = ", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * len(columns))
            for part in chunks():
                cur.executemany(f"INSERT INTO {into or table.name} ({cols}) VALUES ({marks})",
                                list(zip(*part, strict=True)))
    finally:
        cur.close()


CHUNK_ROWS = 5000
