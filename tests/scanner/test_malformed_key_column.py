"""A resident-ID column too often malformed or masked to reach its share still has its valid
IDs counted as persons (the stricter reading), as a legacy system's export holds them."""

import json

from click.testing import CliRunner

from scanner.cli import main

# Checksum-valid IDs (GB 11643), and ID-shaped values that fail the checksum or are masked.
VALID = ["11010519491231002X", "440524188001010014"]
BROKEN = ["110105194912310037", "440524188001010015", "11010519491231002", "110105********002X", "未登记"]


def test_valid_ids_under_their_header_are_counted_when_most_values_are_broken(tmp_path):
    rows = ["订单号,身份证号"]
    for i in range(40):
        rows.append(f"D{i:04d},{VALID[i // 4 % 2] if i % 4 == 0 else BROKEN[i % 5]}")  # a quarter valid
    path = tmp_path / "legacy_orders.csv"
    path.write_text("\n".join(rows) + "\n", encoding="gbk")
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["scan", str(path), "--full", "--format", "json", "-o", str(out)])
    assert result.exit_code in (0, 10, 20), result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    column = next(c for c in report["files"][0]["columns"] if c["name"] == "身份证号")
    assert column["entity"] == "CN_RESIDENT_ID", column["evidence"]
    assert "those are counted" in column["evidence"]
    assert report["persons"]["by_entity"]["CN_RESIDENT_ID"] == 2  # the two valid IDs, each on five rows
    assert report["persons"]["sensitive"] >= 1
    assert "11010519491231002X" not in out.read_text(encoding="utf-8")
