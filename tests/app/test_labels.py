"""Result codes are shown with the campaign's own labels, in the user's language."""
from campaign.labels import award_label, band_label

BANDS = [{"code": "xuat_sac", "min_total": 90, "label": {"vi": "Hoàn thành xuất sắc nhiệm vụ", "en": "Excellent"}},
         {"code": "b2", "min_total": 80}]


def test_band_label_prefers_the_campaigns_label(app):
    with app.test_request_context():
        _check_bands()


def _check_bands():
    assert band_label("xuat_sac", "vi", BANDS) == "Hoàn thành xuất sắc nhiệm vụ"
    assert band_label("xuat_sac", "en", BANDS) == "Excellent"
    # no label in the campaign: a known code gets the platform's default, an unknown one its code
    assert band_label("tot", "vi", BANDS) == "Tốt"
    assert band_label("b2", "vi", BANDS) == "b2"
    assert band_label(None, "vi", BANDS) == ""


def test_award_labels(app):
    with app.test_request_context():
        assert award_label("cluster_leader") == "Dẫn đầu cụm"
        assert award_label(None) == ""
