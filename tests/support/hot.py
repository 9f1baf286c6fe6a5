"""One problem told by different people in different words, and the month it is told in (the hot-issue
and accusation tests share them)."""

from __future__ import annotations

import datetime as dt

from tests.conftest import TZ

START, END = dt.datetime(2026, 3, 1, tzinfo=TZ), dt.datetime(2026, 3, 31, tzinfo=TZ)
MIXER = [  # one problem, told by different people in different words
    ("小区旁边搅拌站噪音扰民", "丰收村幸福小区旁边新建的混凝土搅拌站日夜施工，噪音和粉尘严重，居民无法休息。"),
    ("搅拌站粉尘噪音严重", "幸福小区附近的混凝土搅拌站粉尘很大，夜里噪音扰民，请求搬走搅拌站。"),
    ("投诉混凝土搅拌站扰民", "混凝土搅拌站紧挨幸福小区，噪音粉尘污染严重，影响居民生活和休息。"),
    ("搅拌站夜间施工噪音", "幸福小区旁混凝土搅拌站夜间施工，噪音扰民，粉尘污染，请有关部门处理。"),
]
