"""A small scoring table with conditions (điều kiện), bands with their own floors, for issue 16's tests."""
from __future__ import annotations

import copy

BANDS = [
    {"code": "xuat_sac", "label": {"vi": "Xuất sắc", "en": "Excellent"}, "min_total": 90, "floors": {"I": 90}},
    {"code": "tot", "label": {"vi": "Tốt", "en": "Good"}, "min_total": 70},
    {"code": "dat", "label": {"vi": "Đạt", "en": "Pass"}, "min_total": 50},
]


def doc() -> dict:
    return {
        "format": "thidua-framework/1", "code": "dieu-kien", "name": {"vi": "Bảng thử điều kiện"}, "scale": 100,
        "groups": [
            {"code": "I", "name": {"vi": "Tuyên truyền"}, "kind": "regular", "max_points": 50, "children": [
                {"code": "1.1", "name": {"vi": "Tỷ lệ tuyên truyền viên được tập huấn"}, "max_points": 30,
                 "value_type": "percentage", "rule": {"kind": "linear", "target": 100, "floor": 0, "direction": "higher"}},
                {"code": "1.2", "name": {"vi": "Có kế hoạch"}, "max_points": 20, "value_type": "yes_no",
                 "rule": {"kind": "yes_no"}}]},
            {"code": "II", "name": {"vi": "Hòa giải"}, "kind": "regular", "max_points": 50, "children": [
                {"code": "2.1", "name": {"vi": "Số vụ hòa giải thành"}, "max_points": 50, "value_type": "count",
                 "rule": {"kind": "count", "per_item": 10}},
                {"code": "2.2", "name": {"vi": "Không có cán bộ bị kỷ luật từ cảnh cáo trở lên"}, "max_points": 0,
                 "value_type": "yes_no", "na_allowed": True, "rule": {"kind": "yes_no"}},
                {"code": "2.3", "name": {"vi": "Tỷ lệ người dân hài lòng"}, "max_points": 0,
                 "value_type": "percentage", "rule": {"kind": "target", "target": 0, "direction": "higher"}},
                {"code": "2.4", "name": {"vi": "Bị phê bình trong năm"}, "max_points": 0, "value_type": "yes_no",
                 "rule": {"kind": "yes_no"}}]},
        ],
        "bands": copy.deepcopy(BANDS),
        "conditions": [
            {"code": "DK1", "name": {"vi": "Không có cán bộ bị kỷ luật", "en": "No official disciplined"},
             "test": {"indicator": "2.2", "op": "==", "value": "yes"}, "effect": "withhold"},
            {"code": "DK2", "name": {"vi": "Ít nhất 90 % người dân hài lòng"},
             "test": {"indicator": "2.3", "op": ">=", "value": 90}, "effect": "cap", "cap_band": "dat"},
            {"code": "DK3", "name": {"vi": "Không bị phê bình"},
             "test": {"all": [{"indicator": "2.4", "op": "==", "value": "no"},
                              {"indicator": "1.1", "op": ">=", "value": 50}]}, "effect": "no_award"},
        ],
    }


FULL = {"1.1": 100, "1.2": "yes", "2.1": 5, "2.2": "yes", "2.3": 95, "2.4": "no"}  # 30 + 20 + 50 = 100


