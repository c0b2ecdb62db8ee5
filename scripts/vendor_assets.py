"""Vendor the partial plotly.js bundles into static/vendor/, with pre-compressed siblings.

Public pages need only bar, scatter and histogram traces, so they load plotly.js's partial
bundles from the npm registry (pinned version and sha512 integrity below) instead of the
4.8 MB full bundle: ``plotly-basic.min.js`` (bar, scatter; the leaderboard and unit pages)
and ``plotly-cartesian.min.js`` (adds histogram; the campaign overview). Each file gets a
``.gz`` and a ``.br`` sibling that the static route serves to browsers that accept them.
Run by ``make install``; never fetched from a CDN at page time.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import brotli

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
PLOTLY_JS = "4.1.1"
BUNDLES = {  # npm package -> (file inside the package, sha512 integrity of the package tarball)
    "plotly.js-basic-dist-min": (
        "plotly-basic.min.js",
        "sha512-1oNF8PeQx2hv/y7tqEVWKD3JGwn/MGEMQ8mL9HUwsaqG9FGy/OU5FHUHvzqbqxN4mnwZGI9abTiE775C4kkjMQ=="),
    "plotly.js-cartesian-dist-min": (
        "plotly-cartesian.min.js",
        "sha512-o8GrFeusncwBIxbBynRJpY4pkgVB6caM+JLpwrLYbbsO7dZ8FJ+SVN2Fr+L7kiG/Z6w4P5O0Jus/Qr5EefHVeg=="),
}


def fetch(package: str, integrity: str, workdir: Path) -> bytes:
    """Download one pinned package tarball with npm and check its integrity."""
    try:
        out = subprocess.run(["npm", "pack", "--silent", f"{package}@{PLOTLY_JS}"], cwd=workdir, check=True,
                             capture_output=True, text=True).stdout.strip().splitlines()[-1]
    except FileNotFoundError:
        sys.exit("vendor_assets: npm is needed once at install time (Debian: apt-get install npm)")
    data = (workdir / out).read_bytes()
    got = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got != integrity:
        sys.exit(f"vendor_assets: {package}@{PLOTLY_JS} integrity mismatch ({got})")
    return data


def write_with_siblings(dest: Path, data: bytes) -> None:
    """Write the file and its .gz/.br siblings atomically enough for a one-time install step."""
    dest.write_bytes(data)
    with gzip.open(str(dest) + ".gz", "wb", compresslevel=9) as fout:
        fout.write(data)
    Path(str(dest) + ".br").write_bytes(brotli.compress(data, quality=11))


def main() -> None:
    VENDOR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for package, (filename, integrity) in BUNDLES.items():
            tarball = fetch(package, integrity, Path(tmp))
            with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
                member = tar.extractfile(f"package/{filename}")
                assert member is not None, f"{package} has no {filename}"
                data = member.read()
            write_with_siblings(VENDOR / filename, data)
            print(f"vendored static/vendor/{filename} ({len(data) // 1024} KiB, "
                  f"{(VENDOR / (filename + '.br')).stat().st_size // 1024} KiB brotli)")
    old = VENDOR / "plotly.min.js"  # the full bundle of earlier installs
    for path in (old, Path(str(old) + ".gz")):
        path.unlink(missing_ok=True)
    shutil.rmtree(VENDOR / "__pycache__", ignore_errors=True)


if __name__ == "__main__":
    main()
