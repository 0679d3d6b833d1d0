"""wsgi_checksums on real files: a checksum for each file, none for what is not a file."""

from __future__ import annotations

import hashlib
import os

from .conftest import run_module


def test_each_file_read_and_what_is_no_file_has_none(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("flask==3.1.2\n")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(200000))
    link = tmp_path / "link.txt"
    link.symlink_to(requirements)
    paths = [str(requirements), str(big), str(link), str(tmp_path / "missing.txt"), str(tmp_path)]
    failed, result = run_module("wsgi_checksums", paths=paths)
    assert not failed, result
    assert result["changed"] is False
    assert result["checksums"] == {
        str(requirements): hashlib.sha256(b"flask==3.1.2\n").hexdigest(),
        str(big): hashlib.sha256(big.read_bytes()).hexdigest(),
        str(link): hashlib.sha256(b"flask==3.1.2\n").hexdigest(),
        str(tmp_path / "missing.txt"): None,
        str(tmp_path): None,
    }


def test_check_mode_reads_the_same(tmp_path):
    marker = tmp_path / ".pyops-wsgi-installed.json"
    marker.write_text("{}")
    failed, result = run_module("wsgi_checksums", paths=[str(marker)], _ansible_check_mode=True)
    assert not failed and result["checksums"] == {str(marker): hashlib.sha256(b"{}").hexdigest()}


def test_a_relative_path_is_refused(tmp_path):
    failed, result = run_module("wsgi_checksums", paths=["source/requirements.txt"])
    assert failed and "absolute paths only, got source/requirements.txt" in result["msg"]
