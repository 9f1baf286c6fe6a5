"""A petition and replies on, off and without a legal basis (the reply-check tests share them)."""

from __future__ import annotations

TITLE = "青石镇自来水管道破裂停水"


CONTENT = "青石镇丰收村自来水管道破裂，已经停水三天，村民饮水困难，请求尽快抢修管道恢复供水。"


ON_POINT = (
    "经调查，丰收村自来水管道破裂系施工挖断所致，根据《城市供水条例》第二十九条规定，"
    "供水单位已于当日抢修管道并恢复供水。"
)


OFF_POINT = "您反映的学校食堂收费问题，教育局已责成学校整改，根据《学校食品安全管理规定》执行。"


NO_BASIS = "丰收村自来水管道破裂已抢修完毕，已恢复供水，停水期间安排送水车保障村民饮水。"
