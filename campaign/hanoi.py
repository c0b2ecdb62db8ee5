"""Facts about Hà Nội's 30 district-level units in 2018 (GSO codes, names, types, counts).

Sources: the GSO administrative-unit list of 15 Oct 2017 and the 2019 census where a figure
was found (see docs in the steering repo). Commune-level units are loaded by the GSO importer;
the demo generates stand-ins labelled as demo data.
"""
from __future__ import annotations

from typing import NamedTuple


class District(NamedTuple):
    code: str
    name: str
    name_en: str
    kind: str  # urban_district | rural_district | town
    wards: int
    communes: int
    townships: int
    population: int | None
    area_km2: float | None


DISTRICTS: tuple[District, ...] = (
    District("001", "Quận Ba Đình", "Ba Dinh District", "urban_district", 14, 0, 0, 221893, None),
    District("002", "Quận Hoàn Kiếm", "Hoan Kiem District", "urban_district", 18, 0, 0, None, None),
    District("003", "Quận Tây Hồ", "Tay Ho District", "urban_district", 8, 0, 0, None, None),
    District("004", "Quận Long Biên", "Long Bien District", "urban_district", 14, 0, 0, None, None),
    District("005", "Quận Cầu Giấy", "Cau Giay District", "urban_district", 8, 0, 0, None, None),
    District("006", "Quận Đống Đa", "Dong Da District", "urban_district", 21, 0, 0, None, None),
    District("007", "Quận Hai Bà Trưng", "Hai Ba Trung District", "urban_district", 20, 0, 0, 303586, None),
    District("008", "Quận Hoàng Mai", "Hoang Mai District", "urban_district", 14, 0, 0, 506347, None),
    District("009", "Quận Thanh Xuân", "Thanh Xuan District", "urban_district", 11, 0, 0, None, None),
    District("016", "Huyện Sóc Sơn", "Soc Son District", "rural_district", 0, 25, 1, None, 306.5),
    District("017", "Huyện Đông Anh", "Dong Anh District", "rural_district", 0, 23, 1, None, None),
    District("018", "Huyện Gia Lâm", "Gia Lam District", "rural_district", 0, 20, 2, None, None),
    District("019", "Quận Nam Từ Liêm", "Nam Tu Liem District", "urban_district", 10, 0, 0, None, None),
    District("020", "Huyện Thanh Trì", "Thanh Tri District", "rural_district", 0, 15, 1, None, None),
    District("021", "Quận Bắc Từ Liêm", "Bac Tu Liem District", "urban_district", 13, 0, 0, None, None),
    District("250", "Huyện Mê Linh", "Me Linh District", "rural_district", 0, 16, 2, None, None),
    District("268", "Quận Hà Đông", "Ha Dong District", "urban_district", 17, 0, 0, 388907, None),
    District("269", "Thị xã Sơn Tây", "Son Tay Town", "town", 9, 6, 0, None, None),
    District("271", "Huyện Ba Vì", "Ba Vi District", "rural_district", 0, 30, 1, None, 424.0),
    District("272", "Huyện Phúc Thọ", "Phuc Tho District", "rural_district", 0, 22, 1, None, None),
    District("273", "Huyện Đan Phượng", "Dan Phuong District", "rural_district", 0, 15, 1, None, None),
    District("274", "Huyện Hoài Đức", "Hoai Duc District", "rural_district", 0, 19, 1, None, None),
    District("275", "Huyện Quốc Oai", "Quoc Oai District", "rural_district", 0, 20, 1, None, None),
    District("276", "Huyện Thạch Thất", "Thach That District", "rural_district", 0, 22, 1, None, None),
    District("277", "Huyện Chương Mỹ", "Chuong My District", "rural_district", 0, 30, 2, None, 237.4),
    District("278", "Huyện Thanh Oai", "Thanh Oai District", "rural_district", 0, 20, 1, None, None),
    District("279", "Huyện Thường Tín", "Thuong Tin District", "rural_district", 0, 28, 1, None, None),
    District("280", "Huyện Phú Xuyên", "Phu Xuyen District", "rural_district", 0, 26, 2, None, None),
    District("281", "Huyện Ứng Hòa", "Ung Hoa District", "rural_district", 0, 28, 1, None, None),
    District("282", "Huyện Mỹ Đức", "My Duc District", "rural_district", 0, 21, 1, None, None),
)

CITY_CODE = "01"
CITY_NAME = "Thành phố Hà Nội"
