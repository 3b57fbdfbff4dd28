"""Static tables for the demo data set: organisation, places, products and Chinese texts.

Plain data only; :mod:`services.demo.seed` draws from these with a seeded RNG.
"""
from __future__ import annotations

# ------------------------------------------------------------------ organisation

# code, name, name_en, city
BRANCHES: list[tuple[str, str, str, str]] = [
    ("BJ", "北京分行", "Beijing Branch", "北京"),
    ("SH", "上海分行", "Shanghai Branch", "上海"),
    ("GZ", "广州分行", "Guangzhou Branch", "广州"),
    ("SZ", "深圳分行", "Shenzhen Branch", "深圳"),
    ("HZ", "杭州分行", "Hangzhou Branch", "杭州"),
]

# branch code, name, name_en  (12 teams; the first BJ team is the demo `rm` user's)
TEAMS: list[tuple[str, str, str]] = [
    ("BJ", "北京财富管理一部", "Beijing Wealth Management Team 1"),
    ("BJ", "北京财富管理二部", "Beijing Wealth Management Team 2"),
    ("BJ", "北京私人银行部", "Beijing Private Banking Team"),
    ("SH", "上海陆家嘴财富团队", "Shanghai Lujiazui Wealth Team"),
    ("SH", "上海静安财富团队", "Shanghai Jing'an Wealth Team"),
    ("SH", "上海私人银行部", "Shanghai Private Banking Team"),
    ("GZ", "广州天河财富团队", "Guangzhou Tianhe Wealth Team"),
    ("GZ", "广州越秀财富团队", "Guangzhou Yuexiu Wealth Team"),
    ("SZ", "深圳福田财富团队", "Shenzhen Futian Wealth Team"),
    ("SZ", "深圳南山财富团队", "Shenzhen Nanshan Wealth Team"),
    ("HZ", "杭州西湖财富团队", "Hangzhou West Lake Wealth Team"),
    ("HZ", "杭州钱江新城财富团队", "Hangzhou Qianjiang New City Wealth Team"),
]

# The named demo users: username, display name, roles, branch code, team index (into TEAMS) or None.
DEMO_USERS: list[tuple[str, str, list[str], str | None, int | None]] = [
    ("admin", "系统管理员", ["admin"], None, None),
    ("manager", "赵立新", ["branch_manager"], "BJ", None),
    ("rm", "李娜", ["rm"], "BJ", 0),
    ("compliance", "陈静", ["compliance"], None, None),
    ("approver", "周涛", ["approver"], "BJ", None),
    ("ops", "吴敏", ["ops"], "BJ", None),
    ("auditor", "孙伟", ["auditor"], None, None),
]

# ------------------------------------------------------------------ places

# City of each branch -> (province prefix for addresses, [(district region code, district name)]).
CITY_DISTRICTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "北京": ("北京市", [("110101", "东城区"), ("110102", "西城区"), ("110105", "朝阳区"),
                     ("110106", "丰台区"), ("110108", "海淀区")]),
    "上海": ("上海市", [("310101", "黄浦区"), ("310104", "徐汇区"), ("310105", "长宁区"),
                     ("310106", "静安区"), ("310115", "浦东新区")]),
    "广州": ("广东省广州市", [("440103", "荔湾区"), ("440104", "越秀区"), ("440105", "海珠区"),
                       ("440106", "天河区")]),
    "深圳": ("广东省深圳市", [("440303", "罗湖区"), ("440304", "福田区"), ("440305", "南山区"),
                       ("440306", "宝安区")]),
    "杭州": ("浙江省杭州市", [("330102", "上城区"), ("330106", "西湖区"), ("330108", "滨江区"),
                       ("330110", "余杭区")]),
}

# Birthplaces elsewhere (region codes that really exist), for people who moved to the city.
OTHER_REGIONS: list[str] = [
    "120101", "130102", "140105", "210102", "220102", "230103", "320102", "320506", "340104",
    "350203", "360102", "370102", "370202", "410105", "420106", "430102", "450103", "500103",
    "510104", "520102", "530102", "610113", "620102",
]

STREETS: dict[str, list[str]] = {
    "北京": ["建国路", "长安街", "朝阳北路", "中关村大街", "学院路", "金融大街", "东三环中路", "望京街",
           "丰台北路", "西直门外大街"],
    "上海": ["南京西路", "淮海中路", "世纪大道", "陆家嘴环路", "虹桥路", "延安西路", "漕溪北路", "张杨路",
           "愚园路", "徐家汇路"],
    "广州": ["天河路", "珠江新城华夏路", "中山五路", "江南大道中",
           "体育西路", "东风中路", "滨江东路", "黄埔大道西"],
    "深圳": ["深南大道", "福华路", "科技园南路", "后海大道", "宝安大道", "华强北路", "滨海大道", "海德三道"],
    "杭州": ["延安路", "文三路", "钱江路", "西湖大道", "江南大道", "文一西路", "庆春路", "解放东路"],
}

COMMUNITIES: list[str] = [
    "阳光花园", "锦绣华庭", "翠湖天地", "御景湾", "世纪城", "金色家园", "万科城市花园", "绿城桂花园",
    "保利香槟国际", "中海华庭", "华润悦府", "龙湖春江郦城", "招商雍景湾", "碧桂园凤凰城", "融创壹号院",
]

# ------------------------------------------------------------------ people

OCCUPATIONS: list[tuple[str, float]] = [
    ("企业职员", 18), ("公务员", 6), ("教师", 6), ("医生", 4), ("工程师", 8), ("个体工商户", 8),
    ("私营企业主", 6), ("企业高管", 5), ("金融从业人员", 4), ("律师", 2), ("会计师", 3),
    ("自由职业", 4), ("退休人员", 10), ("IT从业人员", 7), ("销售人员", 5), ("科研人员", 2),
    ("学生", 2),
]

EMAIL_DOMAINS: list[str] = ["qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "gmail.com",
                            "outlook.com", "139.com"]

PHONE_PREFIXES: list[str] = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "177", "180", "181", "182", "183", "185", "186",
    "187", "188", "189", "191", "198", "199",
]

# ------------------------------------------------------------------ institutions

COMPANY_WORDS: list[str] = [
    "华信", "恒泰", "鼎盛", "博远", "瑞丰", "金桥", "汇通", "中联", "天润", "宏达", "永安", "康源", "星辰",
    "海纳", "卓越", "嘉禾", "润泽", "安信", "明德", "远航", "凯旋", "新锐", "华创", "盛世", "信达", "智联",
    "长青", "东方", "万象", "腾跃", "锦程", "同创", "鹏程", "致远", "聚源", "云帆",
]
# industry word in the company name -> the sector recorded as the institution's occupation
COMPANY_INDUSTRIES: list[tuple[str, str]] = [
    ("科技", "科学研究和技术服务业"), ("贸易", "批发和零售业"), ("投资管理", "租赁和商务服务业"),
    ("实业", "制造业"), ("医药", "医药制造业"), ("电子", "计算机、通信和其他电子设备制造业"),
    ("物流", "交通运输、仓储和邮政业"), ("建设工程", "建筑业"), ("餐饮管理", "住宿和餐饮业"),
    ("文化传媒", "文化、体育和娱乐业"), ("新能源", "电力、热力生产和供应业"), ("信息技术", "信息传输、软件和信息技术服务业"),
    ("房地产开发", "房地产业"), ("食品", "食品制造业"), ("服装", "纺织服装、服饰业"), ("教育科技", "教育"),
    ("环保科技", "生态保护和环境治理业"), ("精密制造", "通用设备制造业"),
]
COMPANY_SUFFIXES: list[tuple[str, float]] = [("有限公司", 6), ("股份有限公司", 2), ("集团有限公司", 1)]

RELATED_PARTY_NOTES: list[str] = ["法定代表人", "实际控制人", "股东", "财务负责人"]

# ------------------------------------------------------------------ products

# code, name, name_en, product_type, risk_level, term_days, unit price (NAV / share price; 1 for deposits)
PRODUCTS: list[tuple[str, str, str, str, str, int | None, float]] = [
    ("DP1Y001", "稳享定期存款(1年)", "Steady Fixed Deposit 1Y", "deposit", "R1", 365, 1.0),
    ("DP3Y001", "大额存单(3年期)", "Large-denomination CD 3Y", "deposit", "R1", 1095, 1.0),
    ("DP7D001", "七天通知存款", "7-Day Call Deposit", "deposit", "R1", 7, 1.0),
    ("MM0001", "天天利货币基金", "Tiantianli Money Market Fund", "fund", "R1", None, 1.0),
    ("WM0001", "现金宝理财", "Cash Treasure Wealth", "wealth", "R1", None, 1.0),
    ("BD0001", "储蓄国债(凭证式)3年期", "Savings Treasury Bond 3Y", "bond", "R1", 1095, 100.0),
    ("WM0090", "稳健理财90天", "Steady Wealth 90-Day", "wealth", "R2", 90, 1.02),
    ("WM0180", "安享理财180天", "Secure Wealth 180-Day", "wealth", "R2", 180, 1.03),
    ("WM0365", "稳盈一年期理财", "Stable Gain 1-Year Wealth", "wealth", "R2", 365, 1.04),
    ("FD0101", "短债增利债券基金", "Short-term Bond Plus Fund", "fund", "R2", None, 1.12),
    ("FD0201", "纯债债券基金", "Pure Bond Fund", "fund", "R3", None, 1.21),
    ("WM0730", "固收+混合理财两年期", "Fixed Income Plus 2-Year Wealth", "wealth", "R3", 730, 1.06),
    ("FD0301", "平衡配置混合基金", "Balanced Allocation Hybrid Fund", "fund", "R3", None, 1.58),
    ("FD0302", "可转债精选基金", "Convertible Bond Select Fund", "fund", "R3", None, 1.34),
    ("BD0002", "企业债精选", "Corporate Bond Select", "bond", "R3", 1095, 101.5),
    ("FD0401", "沪深300指数基金", "CSI 300 Index Fund", "fund", "R4", None, 1.46),
    ("FD0402", "中证500指数增强基金", "CSI 500 Enhanced Index Fund", "fund", "R4", None, 2.03),
    ("FD0403", "消费升级混合基金", "Consumer Upgrade Hybrid Fund", "fund", "R4", None, 2.87),
    ("FD0404", "红利低波ETF联接基金", "Dividend Low-Vol ETF Feeder Fund", "fund", "R4", None, 1.19),
    ("FD0405", "黄金ETF联接基金", "Gold ETF Feeder Fund", "fund", "R4", None, 1.92),
    ("EQ600036", "招商银行(600036)", "China Merchants Bank (600036)", "equity", "R4", None, 38.6),
    ("EQ601318", "中国平安(601318)", "Ping An Insurance (601318)", "equity", "R4", None, 51.2),
    ("FD0501", "科技成长股票基金", "Tech Growth Equity Fund", "fund", "R5", None, 2.41),
    ("FD0502", "新能源主题股票基金", "New Energy Theme Equity Fund", "fund", "R5", None, 0.87),
    ("FD0503", "医药创新股票基金", "Healthcare Innovation Equity Fund", "fund", "R5", None, 1.36),
    ("PE0001", "私募股权精选FOF", "Private Equity Select FOF", "wealth", "R5", 1825, 1.15),
    ("EQ300750", "宁德时代(300750)", "CATL (300750)", "equity", "R5", None, 246.0),
    ("IN0001", "吉祥终身寿险", "Auspicious Whole Life Insurance", "insurance", "R2", None, 1.0),
    ("IN0002", "福满堂年金保险", "Fortune Annuity Insurance", "insurance", "R2", 3650, 1.0),
    ("IN0003", "安心重大疾病保险", "Peace of Mind Critical Illness Insurance", "insurance", "R1", None, 1.0),
]

# Loan products referenced by loan transactions (not part of the 30 investment products).
LOAN_PRODUCTS: list[tuple[str, str, str, str, str, int | None, float]] = [
    ("LN0001", "个人住房按揭贷款", "Residential Mortgage Loan", "loan", "R1", 7300, 1.0),
    ("LN0002", "个人消费贷款", "Personal Consumer Loan", "loan", "R1", 1095, 1.0),
    ("LN0003", "流动资金贷款", "Working Capital Loan", "loan", "R1", 365, 1.0),
]

# ------------------------------------------------------------------ transactions

DEPOSIT_TEXTS = ["工资代发", "现金存款", "奖金发放", "报销款", "租金收入"]
WITHDRAWAL_TEXTS = ["ATM取款", "柜面取现", "跨行ATM取款"]
TRANSFER_IN_TEXTS = ["他行转入", "手机银行转入", "网银转入", "亲属转账", "理财到期资金转入"]
TRANSFER_OUT_TEXTS = ["转账支出", "房租支付", "子女学费", "跨行转出", "水电燃气缴费", "物业费缴纳", "亲属转账"]
FEE_TEXTS = ["短信通知服务费", "账户管理费", "跨行转账手续费", "U盾工本费"]
MERCHANTS = ["美团外卖", "京东商城", "盒马鲜生", "中国石化加油站", "携程旅行", "滴滴出行", "星巴克", "永辉超市",
             "天猫超市", "海底捞", "苹果官方零售店", "万达影城", "中国国航", "优衣库", "屈臣氏"]

# ------------------------------------------------------------------ activities

INTERACTION_TEXTS: dict[str, list[tuple[str, str]]] = {
    "call": [
        ("理财产品到期提醒", "客户理财产品即将到期，电话告知续作方案，客户表示考虑稳健类产品。"),
        ("生日问候", "致电客户送上生日祝福，客户近期无资金需求。"),
        ("市场波动安抚", "近期权益市场波动较大，电话沟通持仓情况，客户风险承受能力未变，继续持有。"),
        ("新产品推介", "电话介绍新发行的稳健理财90天产品，客户有兴趣，约下周到网点详谈。"),
        ("风险测评到期提醒", "提醒客户风险承受能力评估即将到期，需重新测评。"),
        ("信用卡分期咨询", "客户咨询信用卡账单分期，已说明费率与办理渠道。"),
    ],
    "visit": [
        ("上门拜访", "到客户公司拜访，了解企业经营与资金往来情况，客户有代发工资需求。"),
        ("家庭资产配置回顾", "上门与客户及配偶回顾家庭资产配置，建议增加保障类配置。"),
        ("网点面谈", "客户到网点办理业务，顺便沟通资产配置，推荐大额存单。"),
    ],
    "meeting": [
        ("季度资产检视", "与客户进行季度资产检视，收益符合预期，维持当前配置比例。"),
        ("子女教育金规划", "与客户讨论子女教育金规划，建议年金保险加定投组合。"),
        ("养老规划沙龙", "客户参加分行养老规划沙龙，对年金类产品表达兴趣。"),
        ("私人银行权益说明", "向客户说明私人银行客户权益及专属产品。"),
    ],
    "note": [
        ("客户偏好备注", "客户偏好微信沟通，工作日晚间方便联系。"),
        ("资金动向", "客户近期有大额资金到账，计划部分用于购房首付。"),
        ("投诉跟进", "客户反映手机银行登录异常，已转科技部门处理并回访。"),
        ("KYC信息更新", "客户职业及联系地址有变化，已提醒更新资料。"),
    ],
}

TASK_TITLES: list[str] = [
    "回访客户理财到期续作意向", "提醒客户完成风险测评", "准备季度资产配置报告", "邀请客户参加财富沙龙",
    "跟进客户大额存单购买", "核实客户KYC信息", "客户生日礼品寄送", "跟进保险产品投保资料",
    "回访投诉处理结果", "确认客户信用卡额度调整需求", "整理客户家庭资产负债表", "预约客户网点面谈",
]
