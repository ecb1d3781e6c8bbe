"""Demonstration data for 台山市 帮办代办 (seeded by the seed command).

Pure data plus a few tiny helpers: nothing here imports Flask, SQLAlchemy or other app modules.
All text is Simplified Chinese. Units, villages, enterprises and people are realistic but
invented for demonstration; township codes follow the 统计用区划代码 pattern (440781001 for
台城街道, then 4407811xx for the towns in their customary order).

Conventions used by the seed command:
- tiers are the values of ``app.enums.Tier``: "city", "town", "village";
- ``promised_days`` (承诺时限) and ``legal_days`` (法定时限) are counted in working days;
- a material's ``original`` is True for 原件 and False for 复印件.
"""

from __future__ import annotations

TIERS = ("city", "town", "village")

# --------------------------------------------------------------------------------------------
# 1. The city service center
# --------------------------------------------------------------------------------------------

CITY = {
    "code": "440781",
    "name": "台山市政务服务中心",
    "short": "市政务服务中心",
    "address": "广东省台山市台城街道环北大道88号",
    "phone": "0750-5565827",
}

# The SMS signature (签名) registered for the center with the carriers: 2-12 characters, sent as
# 【台山市政务服务中心】 in front of every SMS.
SMS_SIGNATURE = "台山市政务服务中心"

# --------------------------------------------------------------------------------------------
# 2. Towns / street: 台城街道 first, then the 16 towns in their customary order
# --------------------------------------------------------------------------------------------


def _town(code: str, short: str, address: str, phone: str) -> dict:
    return {
        "code": code,
        "name": f"{short}便民服务中心",
        "short": short,
        "address": address,
        "phone": phone,
    }


TOWNS = [
    _town("440781001", "台城街道", "台山市台城街道舜德路26号", "0750-5521036"),
    _town("440781100", "大江镇", "台山市大江镇公益路18号", "0750-5681102"),
    _town("440781101", "水步镇", "台山市水步镇水步墟新市路9号", "0750-5740236"),
    _town("440781102", "四九镇", "台山市四九镇四九墟中山路33号", "0750-5911208"),
    _town("440781103", "白沙镇", "台山市白沙镇白沙墟兴华路12号", "0750-5821135"),
    _town("440781104", "三合镇", "台山市三合镇三合墟温泉路6号", "0750-5751016"),
    _town("440781105", "冲蒌镇", "台山市冲蒌镇冲蒌墟新华路21号", "0750-5861126"),
    _town("440781106", "斗山镇", "台山市斗山镇斗山墟中华路15号", "0750-5551318"),
    _town("440781107", "都斛镇", "台山市都斛镇都斛墟振兴路8号", "0750-5361022"),
    _town("440781108", "赤溪镇", "台山市赤溪镇赤溪墟田头路3号", "0750-5581109"),
    _town("440781109", "端芬镇", "台山市端芬镇端芬墟汀江路10号", "0750-5371213"),
    _town("440781110", "广海镇", "台山市广海镇广海墟南门路27号", "0750-5391028"),
    _town("440781111", "海宴镇", "台山市海宴镇海宴墟沿江路5号", "0750-5781139"),
    _town("440781112", "汶村镇", "台山市汶村镇汶村墟人民路11号", "0750-5791217"),
    _town("440781113", "深井镇", "台山市深井镇深井墟建设路7号", "0750-5801022"),
    _town("440781114", "北陡镇", "台山市北陡镇北陡墟海滨路2号", "0750-5611068"),
    _town("440781115", "川岛镇", "台山市川岛镇上川三洲港口路1号", "0750-5631106"),
]

# --------------------------------------------------------------------------------------------
# 3. Village / community convenience service stations, keyed by town code
# --------------------------------------------------------------------------------------------


def _stations(town_code: str, town_short: str, names: list[str]) -> list[dict]:
    """Number the stations of one town 001, 002, ... after the town code."""
    return [
        {
            "code": f"{town_code}{i:03d}",
            "name": f"{name}便民服务站",
            "short": name,
            "address": f"台山市{town_short}{name}{'居委会' if name.endswith('社区') else '村委会'}",
        }
        for i, name in enumerate(names, start=1)
    ]


_VILLAGE_NAMES = {
    "440781001": ["桥湖社区", "环北社区", "朝阳社区", "南坑村", "板岗村"],
    "440781100": ["公益社区", "公益村", "水楼村", "陈边村", "东坑村"],
    "440781101": ["水步社区", "冈宁村", "茅莲村", "坑口村"],
    "440781102": ["四九社区", "五十村", "下坪村", "南门村"],
    "440781103": ["白沙社区", "三八村", "西村村", "长岭村"],
    "440781104": ["三合社区", "温泉村", "联山村", "那金村"],
    "440781105": ["冲蒌社区", "达德村", "黄龙村", "新塘村"],
    "440781106": ["斗山社区", "浮石村", "横江村", "大湾村", "六村村"],
    "440781107": ["都斛社区", "莘村村", "南村村", "大纲村"],
    "440781108": ["赤溪社区", "铜鼓村", "曹冲村", "田头村"],
    "440781109": ["端芬社区", "汀江村", "山底村", "上泽村", "东宁村"],
    "440781110": ["广海社区", "南湾村", "灵湖村", "海永村"],
    "440781111": ["海宴社区", "沙栏村", "五丰村", "丹堂村"],
    "440781112": ["汶村社区", "九岗村", "高朗村"],
    "440781113": ["深井社区", "那马村", "小江村", "沙坦村"],
    "440781114": ["北陡社区", "寨门村", "沙咀村", "那琴村"],
    "440781115": ["三洲村", "沙堤村", "独湾村", "川西社区"],
}

VILLAGES = {
    town["code"]: _stations(town["code"], town["short"], _VILLAGE_NAMES[town["code"]])
    for town in TOWNS
}

# --------------------------------------------------------------------------------------------
# 4. Departments stationed in the city hall
# --------------------------------------------------------------------------------------------

DEPARTMENTS = [
    {"code": "SJJ", "name": "台山市市场监督管理局", "short": "市场监管局"},
    {"code": "RSJ", "name": "台山市人力资源和社会保障局", "short": "人社局"},
    {"code": "ZRJ", "name": "台山市自然资源局", "short": "自然资源局"},
    {"code": "ZJJ", "name": "台山市住房和城乡建设局", "short": "住建局"},
    {"code": "GAJ", "name": "台山市公安局", "short": "公安局"},
    {"code": "YBJ", "name": "台山市医疗保障局", "short": "医保局"},
    {"code": "SWJ", "name": "国家税务总局台山市税务局", "short": "税务局"},
    {"code": "MZJ", "name": "台山市民政局", "short": "民政局"},
    {"code": "WJJ", "name": "台山市卫生健康局", "short": "卫健局"},
    {"code": "FGJ", "name": "台山市发展和改革局", "short": "发改局"},
    {"code": "STJ", "name": "江门市生态环境局台山分局", "short": "生态环境分局"},
    {"code": "JTJ", "name": "台山市交通运输局", "short": "交通运输局"},
    {"code": "BDC", "name": "台山市不动产登记中心", "short": "不动产登记中心"},
    {"code": "GJJ", "name": "江门市住房公积金管理中心台山办事处", "short": "公积金办事处"},
    {"code": "CLH", "name": "台山市残疾人联合会", "short": "残联"},
]

# Where each department's window is in the city hall (窗口号 and the area): the service guide, the
# case page and the one-time notice tell the applicant where to go.
WINDOWS = {
    "SJJ": ("A01", "一楼A区 企业开办专区"),
    "RSJ": ("B03", "一楼B区 社会保障服务区"),
    "ZRJ": ("C02", "二楼C区 自然资源服务区"),
    "ZJJ": ("C05", "二楼C区 工程建设项目审批专区"),
    "GAJ": ("A08", "一楼东侧 公安服务区"),
    "YBJ": ("B06", "一楼B区 医疗保障服务区"),
    "SWJ": ("D01", "二楼D区 税务服务区"),
    "MZJ": ("B09", "一楼B区 民政服务窗口"),
    "WJJ": ("B11", "一楼B区 卫生健康服务窗口"),
    "FGJ": ("C08", "二楼C区 投资项目审批窗口"),
    "STJ": ("C09", "二楼C区 生态环境服务窗口"),
    "JTJ": ("C10", "二楼C区 交通运输服务窗口"),
    "BDC": ("D05", "二楼D区 不动产登记专区"),
    "GJJ": ("B12", "一楼B区 住房公积金窗口"),
    "CLH": ("B13", "一楼B区 残疾人服务窗口"),
}

# --------------------------------------------------------------------------------------------
# 5. Service items (政务服务事项) with their materials
# --------------------------------------------------------------------------------------------


def _mat(name: str, copies: int, original: bool, how_to_obtain: str) -> dict:
    """One required material: ``original`` True = 原件, False = 复印件."""
    return {
        "name": name,
        "copies": copies,
        "original": original,
        "how_to_obtain": how_to_obtain,
    }


def _item(
    code: str,
    name: str,
    department: str,
    *,
    tiers: list[str],
    promised_days: int,
    legal_days: int,
    materials: list[dict],
    keywords: str,
    fee_note: str = "不收费",
    parallel_departments: list[str] | None = None,
    online: bool = True,
    mobile: bool = False,
    self_service: bool = False,
) -> dict:
    parallel_departments = list(parallel_departments or [])
    return {
        "code": code,
        "name": name,
        "department": department,
        "tiers": list(tiers),
        "promised_days": promised_days,
        "legal_days": legal_days,
        "fee_note": fee_note,
        "parallel": bool(parallel_departments),
        "parallel_departments": parallel_departments,
        "online": online,
        "mobile": mobile,
        "self_service": self_service,
        "keywords": keywords,
        "window_number": WINDOWS[department][0],
        "hall_location": WINDOWS[department][1],
        "materials": materials,
    }


# Materials that recur across items.
_ID_CARD = _mat("申请人居民身份证", 1, True, "申请人本人居民身份证原件，窗口核验后当场退还")
_HUKOU = _mat("居民户口簿", 1, True, "户主页及本人页原件核验；遗失的先到户籍所在地派出所补领")
_PHOTO = _mat(
    "近期一寸免冠彩色照片", 2, True, "白色背景，近6个月内拍摄；大厅自助区照相机可现场拍摄"
)
_SSCARD = _mat("社会保障卡", 1, True, "本人社会保障卡原件；未领卡的可在人社窗口即时制卡")
_LICENSE_COPY = _mat(
    "营业执照复印件", 1, False, "加盖企业公章；可在粤商通或国家企业信用信息公示系统下载电子营业执照"
)
_AGENT = _mat(
    "授权委托书及受托人身份证",
    1,
    True,
    "使用窗口提供的格式文本，由申请人签字（单位加盖公章）；受托人携带本人身份证原件",
)

SERVICE_ITEMS = [
    # ---- 市场监管 -------------------------------------------------------------------------
    _item(
        "SJ-001",
        "个体工商户设立登记",
        "SJJ",
        tiers=["city", "town"],
        promised_days=1,
        legal_days=15,
        mobile=True,
        self_service=True,
        keywords="个体户 开店 营业执照 个体工商户 小卖部 登记",
        materials=[
            _mat(
                "个体工商户登记（备案）申请书",
                1,
                True,
                "窗口免费领取，或在广东政务服务网、粤商通填报后打印，由经营者本人签字",
            ),
            _mat("经营者居民身份证", 1, True, "经营者本人身份证原件，现场核验并拍照留存"),
            _mat(
                "经营场所使用证明",
                1,
                False,
                "自有房屋提供不动产权证书；租用的提供租赁合同及出租方产权证明；"
                "无产权证明的由所在村（居）委会出具场所证明并盖章",
            ),
            _AGENT,
        ],
    ),
    _item(
        "SJ-002",
        "企业设立登记",
        "SJJ",
        tiers=["city", "town"],
        promised_days=1,
        legal_days=3,
        mobile=True,
        self_service=True,
        keywords="公司注册 开公司 有限公司 设立 营业执照 企业开办",
        materials=[
            _mat(
                "公司登记（备案）申请书",
                1,
                True,
                "在广东省市场监管局企业登记平台填报后打印，由法定代表人签字",
            ),
            _mat("公司章程", 1, True, "可使用登记平台提供的章程范本，由全体股东签署"),
            _mat(
                "股东主体资格证明",
                1,
                False,
                "自然人股东提供身份证复印件；法人股东提供加盖公章的营业执照复印件",
            ),
            _mat(
                "法定代表人、董事、监事和经理的任职文件及身份证明",
                1,
                True,
                "股东会决议或股东决定原件，附相关人员身份证复印件",
            ),
            _mat(
                "住所使用证明",
                1,
                False,
                "不动产权证书或租赁合同复印件；使用集群注册地址的由托管机构出具证明",
            ),
        ],
    ),
    _item(
        "SJ-003",
        "食品经营许可证核发",
        "SJJ",
        tiers=["city", "town"],
        promised_days=3,
        legal_days=10,
        mobile=True,
        keywords="食品经营 餐饮 饭店 奶茶店 食品许可 许可证",
        materials=[
            _mat(
                "食品经营许可申请书",
                1,
                True,
                "在广东政务服务网在线填写后打印，或在市场监管窗口领取纸质表格",
            ),
            _LICENSE_COPY,
            _mat("法定代表人（负责人）身份证明", 1, False, "法定代表人身份证复印件，签字确认"),
            _mat(
                "经营场所和设备布局、操作流程文件",
                1,
                True,
                "自行绘制平面布局图并标明设备位置，可参照窗口提供的样例",
            ),
            _mat(
                "食品安全自查、从业人员健康管理、进货查验记录等规章制度",
                1,
                True,
                "可使用市场监管局提供的制度范本，结合本店实际填写并盖章",
            ),
            _mat(
                "从业人员健康证明",
                1,
                False,
                "到台山市疾病预防控制中心或指定医疗机构体检后领取",
            ),
        ],
    ),
    _item(
        "SJ-004",
        "外商投资企业设立登记",
        "SJJ",
        tiers=["city"],
        promised_days=2,
        legal_days=3,
        keywords="外资 外商投资 外企 港澳台 侨资 设立登记",
        materials=[
            _mat(
                "公司登记（备案）申请书",
                1,
                True,
                "在广东省市场监管局企业登记平台填报后打印，由法定代表人签字",
            ),
            _mat("公司章程", 1, True, "由全体投资者签署，外文文本须附中文译本"),
            _mat(
                "外国投资者主体资格证明",
                1,
                True,
                "经所在国公证机关公证并经我国驻该国使（领）馆认证，或办理附加证明书；"
                "港澳投资者提供经当地公证的文件",
            ),
            _mat(
                "法律文件送达授权委托书",
                1,
                True,
                "由外国投资者签署，指定境内法律文件送达接受人并附其身份证明",
            ),
            _mat("法定代表人任职文件及身份证明", 1, True, "董事会决议原件及法定代表人护照复印件"),
            _mat("住所使用证明", 1, False, "不动产权证书或租赁合同复印件"),
        ],
    ),
    _item(
        "SJ-005",
        "企业开办一件事（设立登记、公章刻制、发票申领、社保医保公积金登记）",
        "SJJ",
        tiers=["city", "town"],
        promised_days=1,
        legal_days=5,
        parallel_departments=["SJJ", "GAJ", "SWJ", "RSJ", "YBJ", "GJJ"],
        mobile=True,
        keywords="企业开办 一件事 刻章 发票 社保开户 公积金开户 一网通办",
        materials=[
            _mat(
                "企业开办一件事申请表",
                1,
                True,
                "在广东政务服务网企业开办专区一次填报，打印后由法定代表人签字",
            ),
            _mat("公司章程", 1, True, "可使用登记平台提供的章程范本，由全体股东签署"),
            _mat("法定代表人身份证", 1, True, "法定代表人本人身份证原件，现场实名核验"),
            _mat("住所使用证明", 1, False, "不动产权证书或租赁合同复印件"),
            _mat(
                "办税人员、财务负责人身份证明",
                1,
                False,
                "身份证复印件，并在电子税务局完成实名认证",
            ),
        ],
    ),
    # ---- 人社 -----------------------------------------------------------------------------
    _item(
        "RS-001",
        "城乡居民基本养老保险参保登记",
        "RSJ",
        tiers=["city", "town", "village"],
        promised_days=1,
        legal_days=5,
        mobile=True,
        fee_note="不收费（养老保险费由参保人按所选缴费档次自行缴纳）",
        keywords="养老保险 居民养老 参保 农村养老 社保",
        materials=[
            _mat(
                "城乡居民基本养老保险参保登记表",
                1,
                True,
                "在村（社区）便民服务站或镇便民服务中心领取，由参保人本人签字",
            ),
            _ID_CARD,
            _HUKOU,
        ],
    ),
    _item(
        "RS-002",
        "社会保障卡申领",
        "RSJ",
        tiers=["city", "town", "village"],
        promised_days=1,
        legal_days=20,
        mobile=True,
        self_service=True,
        keywords="社保卡 社会保障卡 即时制卡 第三代社保卡 补卡",
        materials=[
            _ID_CARD,
            _mat(
                "近期数码证件照",
                1,
                True,
                "可在大厅自助区拍摄，或通过粤省事小程序上传符合要求的照片",
            ),
        ],
    ),
    _item(
        "RS-003",
        "失业保险金申领",
        "RSJ",
        tiers=["city", "town"],
        promised_days=3,
        legal_days=10,
        mobile=True,
        keywords="失业金 失业保险 失业登记 领失业金",
        materials=[
            _ID_CARD,
            _mat(
                "解除或终止劳动关系证明",
                1,
                True,
                "由原用人单位出具并加盖公章；单位已注销的可提供劳动仲裁或法院文书",
            ),
            _mat("社会保障卡（金融账户已激活）", 1, True, "可在合作银行网点或粤省事激活金融功能"),
        ],
    ),
    _item(
        "RS-004",
        "就业创业证申领",
        "RSJ",
        tiers=["city", "town"],
        promised_days=1,
        legal_days=5,
        mobile=True,
        keywords="就业创业证 失业证 就业登记 创业补贴",
        materials=[
            _ID_CARD,
            _mat(
                "就业创业登记申请表",
                1,
                True,
                "窗口领取或在广东政务服务网下载打印，由本人签字",
            ),
        ],
    ),
    # ---- 医保 -----------------------------------------------------------------------------
    _item(
        "YB-001",
        "基本医疗保险跨省异地就医备案",
        "YBJ",
        tiers=["city", "town", "village"],
        promised_days=1,
        legal_days=5,
        mobile=True,
        self_service=True,
        keywords="异地就医 备案 医保 外地看病 跨省 长期居住",
        materials=[
            _SSCARD,
            _mat(
                "跨省异地就医登记备案表",
                1,
                True,
                "窗口领取，或在国家医保服务平台APP、粤医保小程序在线填报",
            ),
            _mat(
                "异地长期居住证明或个人承诺书",
                1,
                True,
                "提供居住证或户口簿；无法提供的可签署窗口提供的个人承诺书",
            ),
        ],
    ),
    _item(
        "YB-002",
        "城乡居民基本医疗保险参保登记",
        "YBJ",
        tiers=["city", "town", "village"],
        promised_days=1,
        legal_days=5,
        mobile=True,
        fee_note="不收费（医疗保险费由参保人通过税务渠道自行缴纳）",
        keywords="居民医保 参保 新生儿参保 医疗保险 农村医保",
        materials=[
            _mat(
                "居民身份证或户口簿",
                1,
                True,
                "参保人本人身份证原件；未成年人提供户口簿原件",
            ),
            _mat(
                "出生医学证明",
                1,
                False,
                "新生儿参保时提供，由出生医院签发，复印件一份",
            ),
            _mat("居住证", 1, False, "非本地户籍人员提供，由公安机关签发"),
        ],
    ),
    _item(
        "YB-003",
        "门诊特定病种待遇认定",
        "YBJ",
        tiers=["city", "town"],
        promised_days=5,
        legal_days=15,
        mobile=True,
        keywords="门特 慢性病 特定病种 门诊报销 高血压 糖尿病",
        materials=[
            _SSCARD,
            _mat(
                "门诊特定病种待遇认定申请表",
                1,
                True,
                "由定点医疗机构具备资格的医师填写诊断意见并加盖医院公章",
            ),
            _mat(
                "近一年相关病历及检查检验报告",
                1,
                False,
                "到就诊医院病案室复印并加盖医院病案专用章",
            ),
        ],
    ),
    # ---- 自然资源 -------------------------------------------------------------------------
    _item(
        "ZR-001",
        "建设用地规划许可证核发",
        "ZRJ",
        tiers=["city"],
        promised_days=5,
        legal_days=20,
        keywords="用地规划 规划许可 建设用地 出让 工业用地",
        materials=[
            _mat(
                "建设用地规划许可申请表",
                1,
                True,
                "在广东省工程建设项目审批管理系统填报后打印，加盖建设单位公章",
            ),
            _mat(
                "国有建设用地使用权出让合同",
                1,
                False,
                "由自然资源局与建设单位签订，复印件加盖公章",
            ),
            _mat(
                "建设单位营业执照及法定代表人身份证明",
                1,
                False,
                "复印件加盖公章",
            ),
            _mat(
                "项目立项（备案、核准）文件",
                1,
                False,
                "在广东省投资项目在线审批监管平台下载打印",
            ),
        ],
    ),
    _item(
        "ZR-002",
        "建设工程规划许可证核发",
        "ZRJ",
        tiers=["city"],
        promised_days=5,
        legal_days=20,
        parallel_departments=["ZRJ", "ZJJ", "STJ"],
        keywords="工程规划 规划许可证 报建 总平面图 建设工程",
        materials=[
            _mat(
                "建设工程规划许可申请表",
                1,
                True,
                "在广东省工程建设项目审批管理系统填报后打印，加盖建设单位公章",
            ),
            _mat("不动产权证书或用地批准文件", 1, False, "复印件加盖建设单位公章"),
            _mat(
                "建设工程设计方案总平面图及建筑施工图",
                2,
                True,
                "由具备相应资质的设计单位编制并加盖出图章，同时提交电子文件",
            ),
            _mat(
                "建设用地规划许可证",
                1,
                False,
                "此前由自然资源局核发；通过划拨方式取得用地的项目提供",
            ),
        ],
    ),
    # ---- 不动产登记 -----------------------------------------------------------------------
    _item(
        "BDC-001",
        "不动产转移登记（存量房买卖）",
        "BDC",
        tiers=["city"],
        promised_days=3,
        legal_days=30,
        self_service=True,
        fee_note=(
            "不动产登记费：住宅80元/件，非住宅550元/件；证书首本免费，每增加一本10元。"
            "由申请人自行缴纳"
        ),
        keywords="二手房 过户 买卖 转移登记 房产证 不动产",
        materials=[
            _mat(
                "不动产登记申请书",
                1,
                True,
                "窗口领取或在江门不动产登记网上办事平台填写后打印，买卖双方签字",
            ),
            _mat("买卖双方身份证明", 1, True, "买卖双方身份证原件；已婚的携带配偶身份证"),
            _mat("不动产权证书", 1, True, "卖方持有的不动产权证书（房地产权证）原件"),
            _mat(
                "存量房买卖合同",
                1,
                True,
                "通过台山市存量房网签系统签订后打印，买卖双方签字",
            ),
            _mat(
                "完税凭证",
                1,
                True,
                "在大厅税务窗口完成存量房交易税费申报并缴纳后由税务部门出具",
            ),
            _mat(
                "婚姻状况证明",
                1,
                False,
                "已婚的提供结婚证复印件；离异的提供离婚证或法院判决书复印件",
            ),
        ],
    ),
    _item(
        "BDC-002",
        "不动产抵押权首次登记",
        "BDC",
        tiers=["city"],
        promised_days=2,
        legal_days=30,
        fee_note="不动产登记费：住宅80元/件，非住宅550元/件，由申请人自行缴纳",
        keywords="抵押 按揭 贷款 抵押登记 银行",
        materials=[
            _mat("不动产登记申请书", 1, True, "窗口领取，抵押人与抵押权人双方签字盖章"),
            _mat("不动产权证书", 1, True, "抵押人持有的不动产权证书原件"),
            _mat(
                "主债权合同和抵押合同",
                1,
                True,
                "由贷款银行与抵押人签订，银行加盖合同专用章",
            ),
            _mat(
                "抵押权人主体资格证明",
                1,
                False,
                "银行营业执照及金融许可证复印件，加盖公章",
            ),
            _mat("抵押人身份证明", 1, True, "抵押人身份证原件，窗口核验"),
        ],
    ),
    _item(
        "BDC-003",
        "国有建设用地使用权及房屋所有权首次登记",
        "BDC",
        tiers=["city"],
        promised_days=5,
        legal_days=30,
        fee_note="不动产登记费：住宅80元/件，非住宅550元/件，由申请人自行缴纳",
        keywords="首次登记 新建房屋 大确权 初始登记 开发商",
        materials=[
            _mat("不动产登记申请书", 1, True, "窗口领取，由建设单位加盖公章"),
            _mat(
                "土地权属来源材料",
                1,
                False,
                "国有建设用地使用权出让合同及缴清土地出让价款凭证，复印件加盖公章",
            ),
            _mat(
                "建设工程规划条件核实意见",
                1,
                False,
                "由自然资源局在规划核实后出具",
            ),
            _mat(
                "竣工验收备案证明",
                1,
                False,
                "由住建局出具，可在联合验收后通过工程建设项目审批系统下载",
            ),
            _mat(
                "不动产测绘报告",
                1,
                True,
                "由具备测绘资质的单位测绘并出具，附电子成果",
            ),
        ],
    ),
    # ---- 住建 -----------------------------------------------------------------------------
    _item(
        "ZJ-001",
        "建筑工程施工许可证核发",
        "ZJJ",
        tiers=["city"],
        promised_days=3,
        legal_days=7,
        parallel_departments=["ZJJ", "ZRJ", "FGJ"],
        keywords="施工许可 开工 报建 施工证 质量安全监督",
        materials=[
            _mat(
                "建筑工程施工许可证申请表",
                1,
                True,
                "在广东省工程建设项目审批管理系统填报后打印，加盖建设单位公章",
            ),
            _mat("建设工程规划许可证", 1, False, "由自然资源局核发，复印件加盖公章"),
            _mat(
                "施工合同",
                1,
                False,
                "建设单位与中标施工单位签订，复印件加盖双方公章",
            ),
            _mat(
                "建设资金已落实承诺书",
                1,
                True,
                "使用窗口提供的格式文本，由建设单位法定代表人签字并盖章",
            ),
            _mat(
                "施工图设计文件审查合格意见",
                1,
                False,
                "由施工图审查机构出具，或按规定提交设计单位承诺书",
            ),
        ],
    ),
    _item(
        "ZJ-002",
        "房屋建筑和市政基础设施工程竣工联合验收",
        "ZJJ",
        tiers=["city"],
        promised_days=10,
        legal_days=20,
        parallel_departments=["ZJJ", "ZRJ", "STJ"],
        keywords="竣工验收 联合验收 消防验收 规划核实 交付",
        materials=[
            _mat(
                "竣工联合验收申请表",
                1,
                True,
                "在广东省工程建设项目审批管理系统填报后打印，加盖建设单位公章",
            ),
            _mat(
                "工程竣工验收报告",
                1,
                True,
                "由建设单位组织勘察、设计、施工、监理单位验收后编制并签章",
            ),
            _mat(
                "规划核实测量成果报告",
                1,
                True,
                "由具备测绘资质的单位测量并出具",
            ),
            _mat(
                "消防验收技术资料",
                1,
                True,
                "由施工单位整理，含消防设施检测报告（由检测机构出具）",
            ),
        ],
    ),
    # ---- 公安 -----------------------------------------------------------------------------
    _item(
        "GA-001",
        "户口迁移（省内迁入）",
        "GAJ",
        tiers=["city", "town"],
        promised_days=5,
        legal_days=20,
        mobile=True,
        keywords="户口迁移 入户 迁户 投靠 购房入户",
        materials=[
            _ID_CARD,
            _HUKOU,
            _mat(
                "迁入地合法稳定住所证明",
                1,
                False,
                "不动产权证书复印件；按亲属投靠的提供被投靠人户口簿和关系证明",
            ),
            _mat(
                "结婚证",
                1,
                True,
                "夫妻投靠时提供，原件核验后退还",
            ),
        ],
    ),
    _item(
        "GA-002",
        "居住证办理",
        "GAJ",
        tiers=["city", "town"],
        promised_days=7,
        legal_days=15,
        mobile=True,
        self_service=True,
        fee_note="首次申领免费；换领、补领工本费20元，由申请人自行缴纳",
        keywords="居住证 流动人口 外地户口 积分入学 居住登记",
        materials=[
            _ID_CARD,
            _mat(
                "居住登记满半年的证明",
                1,
                True,
                "由居住地派出所或出租屋管理服务中心出具；可在粤省事查询居住登记记录",
            ),
            _mat(
                "合法稳定就业、住所或连续就读证明（三选一）",
                1,
                False,
                "劳动合同、租赁合同或学校出具的在读证明，复印件一份",
            ),
            _PHOTO,
        ],
    ),
    _item(
        "GA-003",
        "居民身份证换领",
        "GAJ",
        tiers=["city", "town"],
        promised_days=15,
        legal_days=60,
        online=False,
        mobile=True,
        self_service=True,
        fee_note="居民身份证工本费20元/证，由申请人自行缴纳",
        keywords="身份证 换证 到期换领 身份证过期 补领",
        materials=[
            _HUKOU,
            _mat("原居民身份证", 1, True, "到期或损坏的原身份证原件，换领时交回"),
            _mat(
                "数码相片",
                1,
                True,
                "在户政窗口现场采集，或到具备资质的照相馆拍摄并取得回执",
            ),
        ],
    ),
    # ---- 民政 -----------------------------------------------------------------------------
    _item(
        "MZ-001",
        "最低生活保障申请",
        "MZJ",
        tiers=["town", "village"],
        promised_days=20,
        legal_days=30,
        online=True,
        mobile=True,
        keywords="低保 最低生活保障 困难家庭 救助 兜底",
        materials=[
            _mat(
                "最低生活保障申请书",
                1,
                True,
                "在村（社区）便民服务站或镇便民服务中心领取，由申请人签字",
            ),
            _mat(
                "家庭成员身份证和户口簿",
                1,
                False,
                "全体共同生活家庭成员的身份证、户口簿复印件",
            ),
            _mat(
                "家庭经济状况核对授权书",
                1,
                True,
                "窗口领取，由全体共同生活家庭成员签字（未成年人由监护人代签）",
            ),
            _mat(
                "家庭收入和财产状况证明",
                1,
                True,
                "在职的由工作单位出具收入证明；务农的由村（居）委会出具情况说明并盖章",
            ),
            _mat(
                "残疾或疾病证明",
                1,
                False,
                "家庭成员有残疾或重病的提供残疾人证或二级以上医院诊断证明",
            ),
        ],
    ),
    _item(
        "MZ-002",
        "高龄津贴申领",
        "MZJ",
        tiers=["town", "village"],
        promised_days=5,
        legal_days=20,
        mobile=True,
        keywords="高龄津贴 长寿金 老人补贴 80岁 百岁",
        materials=[
            _mat(
                "高龄津贴申请表",
                1,
                True,
                "在村（社区）便民服务站领取，由老人或其家属签字，村（居）委会盖章",
            ),
            _ID_CARD,
            _HUKOU,
            _mat(
                "本人银行存折或社会保障卡",
                1,
                False,
                "用于发放津贴，提供账号页复印件",
            ),
        ],
    ),
    _item(
        "MZ-003",
        "困难残疾人生活补贴和重度残疾人护理补贴申请",
        "MZJ",
        tiers=["town", "village"],
        promised_days=10,
        legal_days=20,
        mobile=True,
        keywords="两项补贴 残疾人补贴 护理补贴 生活补贴 重度残疾",
        materials=[
            _mat(
                "残疾人两项补贴申请审批表",
                1,
                True,
                "在村（社区）便民服务站领取，或通过广东省残疾人服务平台填报",
            ),
            _mat("第二代残疾人证", 1, True, "由台山市残疾人联合会核发，原件核验"),
            _ID_CARD,
            _mat(
                "低保或低收入家庭证明",
                1,
                False,
                "申请生活补贴时提供，由镇民政办出具",
            ),
        ],
    ),
    # ---- 残联 -----------------------------------------------------------------------------
    _item(
        "CL-001",
        "残疾人证新办",
        "CLH",
        tiers=["city", "town", "village"],
        promised_days=15,
        legal_days=30,
        mobile=True,
        fee_note="不收费（残疾评定体检费用按规定减免）",
        keywords="残疾人证 残疾评定 办残疾证 肢体 视力 听力",
        materials=[
            _mat(
                "残疾人证申请表",
                1,
                True,
                "在村（社区）便民服务站、镇残联或市残联窗口领取，本人或监护人签字",
            ),
            _ID_CARD,
            _HUKOU,
            _PHOTO,
            _mat(
                "残疾评定表",
                1,
                True,
                "持申请表到台山市人民医院等指定评定机构评定后由评定医生填写",
            ),
        ],
    ),
    # ---- 卫健 -----------------------------------------------------------------------------
    _item(
        "WJ-001",
        "公共场所卫生许可证核发",
        "WJJ",
        tiers=["city"],
        promised_days=3,
        legal_days=20,
        mobile=True,
        keywords="卫生许可 酒店 美容美发 游泳场所 公共场所",
        materials=[
            _mat(
                "公共场所卫生许可申请书",
                1,
                True,
                "在广东政务服务网下载或窗口领取，加盖单位公章",
            ),
            _LICENSE_COPY,
            _mat(
                "卫生管理制度",
                1,
                True,
                "可参照卫健局提供的范本，结合场所实际制定并盖章",
            ),
            _mat(
                "从业人员健康合格证明",
                1,
                False,
                "到台山市疾病预防控制中心或指定医疗机构体检后领取",
            ),
            _mat("告知承诺书", 1, True, "窗口领取格式文本，由法定代表人签字并盖章"),
        ],
    ),
    _item(
        "WJ-002",
        "农村部分计划生育家庭奖励扶助申请",
        "WJJ",
        tiers=["town", "village"],
        promised_days=20,
        legal_days=30,
        keywords="计生奖励 奖励扶助 独生子女 双女户 计划生育",
        materials=[
            _mat(
                "奖励扶助对象申报表",
                1,
                True,
                "在村（社区）便民服务站领取，由申请人签字，村（居）委会审核盖章",
            ),
            _ID_CARD,
            _HUKOU,
            _mat("结婚证", 1, False, "夫妻双方结婚证复印件"),
            _mat(
                "子女情况证明",
                1,
                True,
                "由户籍所在村（居）委会出具并盖章",
            ),
        ],
    ),
    # ---- 发改 -----------------------------------------------------------------------------
    _item(
        "FG-001",
        "企业投资项目备案",
        "FGJ",
        tiers=["city"],
        promised_days=1,
        legal_days=3,
        keywords="项目备案 投资备案 立项 企业投资 招商引资",
        materials=[
            _mat(
                "项目备案信息表",
                1,
                True,
                "在广东省投资项目在线审批监管平台在线填报，打印后加盖项目单位公章",
            ),
            _LICENSE_COPY,
            _mat(
                "项目单位信息真实性承诺书",
                1,
                True,
                "使用平台提供的格式文本，由法定代表人签字并加盖公章",
            ),
        ],
    ),
    _item(
        "FG-002",
        "企业投资项目核准",
        "FGJ",
        tiers=["city"],
        promised_days=10,
        legal_days=20,
        parallel_departments=["FGJ", "ZRJ", "STJ", "ZJJ"],
        keywords="项目核准 重大项目 招商引资 立项 能源项目",
        materials=[
            _mat(
                "项目申请报告",
                2,
                True,
                "由项目单位自行编制或委托工程咨询机构编制，加盖公章",
            ),
            _mat(
                "用地预审与选址意见书",
                1,
                False,
                "由自然资源局核发，复印件加盖项目单位公章",
            ),
            _LICENSE_COPY,
            _mat(
                "项目单位信息真实性承诺书",
                1,
                True,
                "使用平台提供的格式文本，由法定代表人签字并加盖公章",
            ),
        ],
    ),
    # ---- 生态环境 -------------------------------------------------------------------------
    _item(
        "ST-001",
        "建设项目环境影响报告表审批",
        "STJ",
        tiers=["city"],
        promised_days=10,
        legal_days=30,
        keywords="环评 环境影响评价 报告表 环保审批 建设项目",
        materials=[
            _mat(
                "建设项目环境影响评价审批申请表",
                1,
                True,
                "在广东省生态环境厅政务服务平台填报后打印，加盖建设单位公章",
            ),
            _mat(
                "建设项目环境影响报告表",
                2,
                True,
                "由建设单位自行或委托具备能力的技术单位编制，附电子文本",
            ),
            _mat(
                "删除涉密及商业秘密内容的公开说明",
                1,
                True,
                "由建设单位出具并盖章",
            ),
        ],
    ),
    # ---- 交通运输 -------------------------------------------------------------------------
    _item(
        "JT-001",
        "道路普通货物运输经营许可",
        "JTJ",
        tiers=["city"],
        promised_days=3,
        legal_days=20,
        mobile=True,
        keywords="道路运输 货运 运输经营许可证 物流 货车",
        materials=[
            _mat(
                "道路货物运输经营申请表",
                1,
                True,
                "在广东政务服务网下载或窗口领取，加盖企业公章",
            ),
            _LICENSE_COPY,
            _mat("负责人身份证明", 1, False, "负责人身份证复印件"),
            _mat(
                "安全生产管理制度文本",
                1,
                True,
                "包括安全生产责任制度、操作规程等，可参照窗口提供的范本",
            ),
            _mat(
                "拟投入车辆承诺书",
                1,
                True,
                "写明车辆数量、类型、技术性能，由法定代表人签字盖章",
            ),
        ],
    ),
    # ---- 税务 -----------------------------------------------------------------------------
    _item(
        "SW-001",
        "存量房交易税费申报",
        "SWJ",
        tiers=["city"],
        promised_days=1,
        legal_days=3,
        mobile=True,
        fee_note="不收费（契税、增值税、个人所得税等依法应缴税款由纳税人自行缴纳）",
        keywords="二手房 契税 交易税费 房产税费 过户",
        materials=[
            _mat("买卖双方身份证明", 1, True, "买卖双方身份证原件"),
            _mat("存量房买卖合同", 1, False, "通过存量房网签系统签订的合同复印件"),
            _mat("不动产权证书", 1, False, "卖方不动产权证书复印件"),
            _mat(
                "家庭住房情况查询结果",
                1,
                True,
                "在不动产登记中心窗口或粤省事小程序查询后打印",
            ),
        ],
    ),
    # ---- 公积金 ---------------------------------------------------------------------------
    _item(
        "GJ-001",
        "住房公积金提取（购房、租房）",
        "GJJ",
        tiers=["city"],
        promised_days=1,
        legal_days=3,
        mobile=True,
        self_service=True,
        keywords="公积金提取 提公积金 租房提取 购房提取",
        materials=[
            _ID_CARD,
            _mat(
                "本人一类银行借记卡",
                1,
                True,
                "用于接收提取资金，须为本人名下银行卡",
            ),
            _mat(
                "购房合同或不动产权证书",
                1,
                False,
                "购房提取时提供；租房提取的改为签署窗口提供的租房提取承诺书",
            ),
        ],
    ),
]


# --------------------------------------------------------------------------------------------
# 5b. Official codes (GB/T 39554.1-2020): every department's unified social credit code, every
#     item's 事项编码 (basic code) and 实施清单编码 (implementation code), made up but well formed.
# --------------------------------------------------------------------------------------------


def _org_code(body: str) -> str:
    """A GB 11714 organization code: 8 characters and their check character."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _with_uscc_check(body: str) -> str:
    """A GB 32100 credit code: 17 characters and their check character (this module imports
    nothing of the app: tests/test_demo_data.py; app/validators.py checks the same rule)."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


def _department_credit_code(index: int) -> str:
    # 1 机构编制 registration, 1 机关, 440781 Taishan, then the organization code.
    return _with_uscc_check("11440781" + _org_code(f"0070{(index + 1) * 37 % 10000:04d}"))


DEPARTMENT_CREDIT_CODES = {d["code"]: _department_credit_code(i) for i, d in enumerate(DEPARTMENTS)}
_LICENSING_WORDS = ("许可", "登记", "审批", "核准", "备案", "证")


def _official_codes() -> None:
    order = [d["code"] for d in DEPARTMENTS]
    seen: dict[str, int] = {}
    for item in SERVICE_ITEMS:
        dept = item["department"]
        seen[dept] = seen.get(dept, 0) + 1
        kind = "00" if any(w in item["name"] for w in _LICENSING_WORDS) else "10"
        basic = f"{kind}{order.index(dept) + 1:04d}{seen[dept]:03d}000"
        item["basic_code"] = basic
        # Level 4: exercised at the county level (Taishan is a county-level city).
        item["implementation_code"] = DEPARTMENT_CREDIT_CODES[dept] + "4" + basic


_official_codes()

# --------------------------------------------------------------------------------------------
# 6. Names and addresses for generated applicants
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

# --------------------------------------------------------------------------------------------
# 7. Common problems recorded on cases
# --------------------------------------------------------------------------------------------

PROBLEM_CATEGORIES = [
    ("missing_materials", "材料不齐"),
    ("material_error", "材料内容有误或前后不一致"),
    ("system_fault", "系统故障"),
    ("dept_disagreement", "部门意见不一"),
    ("applicant_unreachable", "申请人联系不上"),
    ("policy_unclear", "政策不明确"),
    ("precondition_pending", "前置审批未完成"),
    ("fee_unpaid", "法定费用未缴纳"),
    ("cross_region", "需跨地区或跨层级协查"),
    ("site_inspection", "需现场核查"),
    ("deadline_risk", "存在超时限风险"),
    ("other", "其他"),
]

# --------------------------------------------------------------------------------------------
# 8. Staff names (about three per town and for the city center, with spares)
# --------------------------------------------------------------------------------------------

STAFF_NAMES = [
    "黄丽娟", "李志强", "陈美玲", "伍健雄", "余少梅", "梅锦荣", "刘婉婷", "雷振辉", "甄秀英",
    "邝卓林", "朱惠芳", "马国荣", "谭晓琳", "关耀华", "赵翠兰", "林家豪", "吴碧霞", "张汉文",
    "何思颖", "许德明", "王淑贤", "周树坚", "冯燕萍", "蔡俊杰", "胡月娥", "方永康", "翁嘉欣",
    "阮灿荣", "曹凤仪", "罗伟明", "黄志明", "李秀珍", "陈锦华", "伍丽华", "余国强", "梅诗雅",
    "刘炳坤", "雷慧敏", "甄少华", "邝彩云", "朱文杰", "马玉珍", "谭秋生", "关雅琪", "赵建华",
    "林金凤", "吴耀祖", "张晓敏", "何树林", "许美华", "王宇航", "周惠玲", "冯子轩", "蔡丽萍",
    "胡建明", "方翠玲", "翁浩然", "阮秀玲", "曹志伟", "罗嘉慧", "黄少芬", "李卓然", "陈宝珠",
]  # fmt: skip

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def village_station_count() -> int:
    """Number of village / community convenience service stations in the demo data."""
    return sum(len(stations) for stations in VILLAGES.values())


def person_name(index: int) -> str:
    """A deterministic person name; distinct for 0 <= index < len(SURNAMES) * len(GIVEN_NAMES)."""
    surname = SURNAMES[index % len(SURNAMES)]
    given = GIVEN_NAMES[(index // len(SURNAMES)) % len(GIVEN_NAMES)]
    return surname + given


def department_by_code(code: str) -> dict | None:
    return next((d for d in DEPARTMENTS if d["code"] == code), None)


def service_item_by_code(code: str) -> dict | None:
    return next((i for i in SERVICE_ITEMS if i["code"] == code), None)


def town_by_code(code: str) -> dict | None:
    return next((t for t in TOWNS if t["code"] == code), None)
