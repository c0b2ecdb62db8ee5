"""A small framework using issue 16's value constructs (computed indicators, criterion N/A,
unit-dependent targets), shared by the unit and app tests of those constructs."""
import copy

DOC = {
    "format": "thidua-framework/1", "code": "p-values", "name": {"vi": "Bộ thử giá trị", "en": "Value test"},
    "scale": 100,
    "regions": {"north": {"name": {"vi": "Miền Bắc", "en": "North"}, "provinces": ["01", "31"]}},
    "groups": [
        {"code": "I", "name": {"vi": "Nhóm I", "en": "Group I"}, "max_points": 60, "children": [
            {"code": "1", "name": {"vi": "Tuyên truyền viên pháp luật", "en": "Legal propagandists"},
             "max_points": 20, "children": [
                 {"code": "1a", "name": {"vi": "Số tuyên truyền viên được tập huấn", "en": "Propagandists trained"},
                  "max_points": 0, "value_type": "count", "rule": {"kind": "info"}},
                 {"code": "1b", "name": {"vi": "Tổng số tuyên truyền viên", "en": "All propagandists"},
                  "max_points": 0, "value_type": "count", "rule": {"kind": "info"}},
                 {"code": "1c", "name": {"vi": "Tỷ lệ được tập huấn", "en": "Share trained"}, "max_points": 20,
                  "value_type": "percentage", "unit": "%", "compute": {"expr": "[1a] / [1b] * 100"},
                  "rule": {"kind": "linear", "floor": 50, "target": 100}},
             ]},
            {"code": "2", "name": {"vi": "Ban hành văn bản quy phạm pháp luật", "en": "Legal documents issued"},
             "max_points": 10, "na_allowed": True, "children": [
                 {"code": "2a", "name": {"vi": "Ban hành đúng hạn", "en": "On time"}, "max_points": 6,
                  "value_type": "yes_no", "rule": {"kind": "yes_no"}},
                 {"code": "2b", "name": {"vi": "Đúng thẩm quyền", "en": "Within powers"}, "max_points": 4,
                  "value_type": "yes_no", "rule": {"kind": "yes_no"}},
             ]},
            {"code": "3", "name": {"vi": "Thu nhập bình quân (triệu đồng)", "en": "Income (million VND)"},
             "max_points": 30, "value_type": "number",
             "rule": {"kind": "target", "target": {"by": "region", "table": {"north": 70}, "default": 60}}},
        ]},
        {"code": "II", "name": {"vi": "Nhóm II", "en": "Group II"}, "max_points": 40, "children": [
            {"code": "4", "name": {"vi": "Tỷ lệ hộ đạt chuẩn", "en": "Households meeting the standard"},
             "max_points": 35, "value_type": "percentage",
             "rule": {"kind": "target", "target": {"by": "unit_kind", "table": {"ward": 95, "commune": 90},
                                                    "default": 90}}},
            {"code": "5a", "name": {"vi": "Số công nhân", "en": "Workers"}, "max_points": 0, "value_type": "count",
             "rule": {"kind": "info"}},
            {"code": "5", "name": {"vi": "Điểm theo số công nhân", "en": "Points by workers"}, "max_points": 5,
             "compute": {"expr": "[5a] / 20", "if_zero": 0}, "rule": {"kind": "manual"}},
        ]},
    ],
}


def doc(**changes):
    """A deep copy of DOC, top-level keys replaced."""
    d = copy.deepcopy(DOC)
    d.update(changes)
    return d


def node(d, code):
    """The node ``code`` inside document ``d`` (to edit it in place)."""
    def walk(n):
        if n.get("code") == code:
            return n
        for c in n.get("children") or []:
            found = walk(c)
            if found:
                return found
        return None
    for g in d["groups"]:
        found = walk(g)
        if found:
            return found
    raise KeyError(code)
