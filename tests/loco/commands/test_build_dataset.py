from __future__ import annotations

import pytest

from loco.cli import main


def test_help_documents_the_build(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["build-dataset", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--out", "--train", "--val", "--test", "--dev", "--seed", "--stamps", "--backgrounds", "--example"):
        assert option in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--train", "2"], "--out DIR is required"),
        (["--size", "320by240"], "--size must look like"),
        (["--size", "321x240"], "even dimensions"),
        (["--train", "0", "--val", "0", "--test", "0", "--dev", "0"], "not all zero"),
        (["--min-duration", "30", "--max-duration", "20"], "--min-duration"),
    ],
)
def test_bad_arguments_give_one_clear_error_and_write_nothing(argv, message, tmp_path, capsys):
    out = [] if "--out DIR" in message else ["--out", str(tmp_path / "ds")]
    assert main(["build-dataset", *out, *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "ds").exists()
