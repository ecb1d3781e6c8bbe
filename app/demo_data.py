"""Names and addresses the demo seed draws generated applicants from, and the SMS signature.

Pure data: nothing here imports Flask, SQLAlchemy or other app modules. The unit tree, the
service catalogue, the demo staff and the problem categories are data files in app/demo/,
loaded through the operators' import. All text is Simplified Chinese; enterprises and people
are realistic but invented for demonstration.
"""

from __future__ import annotations

# The SMS signature (签名) registered for the center with the carriers: 2-12 characters, sent as
# 【台山市政务服务中心】 in front of every SMS.
SMS_SIGNATURE = "台山市政务服务中心"

# --------------------------------------------------------------------------------------------
# Names and addresses for generated applicants
# --------------------------------------------------------------------------------------------

# 台山 common surnames (黄、李、陈、伍、余、梅、刘、雷、甄、邝 are the largest lineages).
SURNAMES = [
    "黄", "李", "陈", "伍", "余", "梅", "刘", "雷", "甄", "邝",
    "朱", "马", "谭", "关", "赵", "林", "吴", "张", "何", "许",
    "王", "周", "冯", "蔡", "胡", "方", "翁", "阮", "曹", "罗",
]  # fmt: skip

GIVEN_NAMES = [
    "建华", "志强", "国强", "伟明", "锦荣", "炳坤", "永康", "家豪", "俊杰", "浩然",
    "子轩", "宇航", "振辉", "德明", "耀祖", "灿荣", "汉文", "树坚", "秋生", "健雄",
    "美玲", "丽华", "秀英", "凤仪", "惠芳", "燕萍", "少梅", "玉珍", "翠兰", "月娥",
    "嘉欣", "晓琳", "婉婷", "诗雅", "思颖", "雅琪", "慧敏", "碧霞", "淑贤", "彩云",
    "伟", "强", "军", "勇", "杰", "敏", "静", "丽", "芳", "娟",
    "明辉", "志明", "文杰", "锦华", "卓林", "少华", "耀华", "国荣", "树林", "金凤",
]  # fmt: skip

ENTERPRISE_NAMES = [
    "台山市稻香米业有限公司",
    "台山市都斛丝苗米专业合作社",
    "台山市镇海湾生蚝养殖有限公司",
    "台山市广海湾水产品加工有限公司",
    "台山市赤溪鳗鱼养殖有限公司",
    "台山市汶村海产贸易有限公司",
    "台山市北陡渔港冷链物流有限公司",
    "台山市川岛旅游发展有限公司",
    "台山市上川岛海景酒店有限公司",
    "台山市侨乡建材有限公司",
    "台山市大江五金制品有限公司",
    "台山市水步电子科技有限公司",
    "台山市工业新城新材料有限公司",
    "台山市四九机械设备有限公司",
    "台山市白沙竹木制品有限公司",
    "台山市三合温泉度假村有限公司",
    "台山市冲蒌农产品配送有限公司",
    "台山市斗山碉楼文化旅游有限公司",
    "台山市端芬梅家大院餐饮管理有限公司",
    "台山市海宴华侨农场茶业有限公司",
    "台山市深井海鸭蛋食品有限公司",
    "台山市台城黄鳝饭餐饮有限公司",
    "台山市侨都食品有限公司",
    "台山市宁阳饮料有限公司",
    "台山市金海湾建筑工程有限公司",
    "台山市城东物业管理有限公司",
    "台山市桥湖商贸有限公司",
    "台山市南坑纺织服装有限公司",
    "台山市银湖电器有限公司",
    "台山市新宁运输有限公司",
    "台山市侨心养老服务有限公司",
    "台山市康宁医疗器械有限公司",
    "台山市绿源农业科技有限公司",
    "台山市华侨新能源科技有限公司",
    "台山市港湾船舶修造有限公司",
    "台山市鸿达印刷包装有限公司",
    "台山市恒信会计服务有限公司",
    "台山市宏图电子商务有限公司",
    "台山市富华陶瓷有限公司",
    "江门市台山锦程汽车销售服务有限公司",
    "台山市侨港投资发展有限公司",
    "台山美华精密制造有限公司",
]

STREETS = [
    "台城街道西宁市",
    "台城街道通济路",
    "台城街道正市街",
    "台城街道环北大道",
    "台城街道舜德路",
    "台城街道台西路",
    "台城街道桥湖路",
    "台城街道南门路",
    "台城街道环市东路",
    "台城街道石花路",
    "台城街道中和路",
    "台城街道东华路",
    "大江镇公益路",
    "大江镇兴业路",
    "水步镇新市路",
    "水步镇工业大道",
    "四九镇中山路",
    "白沙镇兴华路",
    "三合镇温泉路",
    "冲蒌镇新华路",
    "斗山镇中华路",
    "都斛镇振兴路",
    "赤溪镇田头路",
    "端芬镇汀江路",
    "广海镇南门路",
    "海宴镇沿江路",
    "汶村镇人民路",
    "深井镇建设路",
    "北陡镇海滨路",
    "川岛镇港口路",
]


def person_name(index: int) -> str:
    """A deterministic person name; distinct for 0 <= index < len(SURNAMES) * len(GIVEN_NAMES)."""
    surname = SURNAMES[index % len(SURNAMES)]
    given = GIVEN_NAMES[(index // len(SURNAMES)) % len(GIVEN_NAMES)]
    return surname + given
