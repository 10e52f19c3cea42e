"""Write ``ner_eval.tsv``: the evaluation set of names and addresses in Chinese prose.

Written for this project (no copied corpus): sentence frames in six genres (chat, customer
service, medical notes, news-like prose, résumés, AI instruction data) filled with names of
every kind (two- and three-character names, compound surnames, rare given characters, minority
and foreign names with middle dots, pinyin names, a surname with a title), addresses starting at
every level (province, city, district, street, town, village, compound; with building-unit-room
codes and corpus noise), and hard negatives (place names, brands, organisations and words that
look like names). All persons and addresses are invented. Fixed seed: the output is committed
and re-running this script rewrites the same file.

    python tests/detectors/ner_eval/make_ner_eval.py     # then: python benchmarks/eval_ner.py

Columns: genre, has_name (0/1), has_address (0/1), sentence.
"""

from __future__ import annotations

import random
from pathlib import Path

HERE = Path(__file__).parent

NAMES_TWO = ("张伟 王芳 李娜 刘洋 陈静 杨帆 黄磊 赵敏 吴昊 周婷 徐鹏 孙悦 朱琳 胡军 郭靖 何平 林峰 罗丹 郑爽 梁栋 谢娜 "
             "宋佳 唐颖 许晴 韩雪 邓超 曹颖 曾黎 彭博 田甜 董洁 袁泉 潘越 蒋勤 蔡明 余华 叶茂 程潇 魏巍 吕良 丁宁 "
             "沈腾 姚晨 卢鑫 崔健 钟汉 谭松 廖凡 范伟 汪峰 陆毅 贾玲 夏雨 方琼 傅彪 洪涛 赖斌 庞博 柯蓝 李政 张凌 "
             "邱莹 秦岚 孟飞 熊猫猫 侯勇 龚琳 邵兵 覃玲 严宽 莫言 孔琳 汤灿 温峥 葛优 倪萍 聂远 岳云").split()
NAMES_THREE = ("王建国 李秀英 张晓明 刘德明 陈志强 杨丽娟 黄建华 赵国庆 吴春燕 周海涛 徐文博 孙立新 马晓东 朱红梅 "
               "胡志刚 郭美玲 何永康 高学军 林雅婷 罗振宇 郑家豪 梁思成 谢宏伟 宋晓峰 唐俊杰 许文静 韩冬梅 冯晓云 "
               "邓小龙 彭德怀 曾国强 田文华 董明珠 袁隆平 潘长江 蒋大为 余秋雨 叶圣陶 程思远 魏子轩 丁俊晖 任志宏 "
               "沈从文 姚振华 卢思远 崔永元 钟南山 谭晶晶 陆小凤 范冰冰 贾樟柯 夏梦琪 方文山 傅抱石 洪晓慧 赖声川 "
               "严歌苓 孔令辉 周恩来 华罗庚 任继愈 钱锺书 季羡林 饶宗颐 费孝通 冯友兰 陈寅恪 熊十力 梁漱溟 侯宝林 "
               "俞平伯 闻一多 臧克家 冼星海 邹韬奋 龚自珍 白求恩 黎锦晖 万家宝 易中天 段祺瑞 尹桂芳 薛宝钗 雷振邦").split()
NAMES_COMPOUND = ("欧阳娜娜 司马南 上官婉儿 诸葛亮 东方明 皇甫明远 慕容雪 令狐冲 夏侯惇 公孙胜 端木蕻良 尉迟恭 "
                  "长孙无忌 欧阳修 司徒美玲 欧阳海 上官云").split()
NAMES_DOTTED = ("阿卜杜拉·艾力 买买提·吐尔逊 古丽娜扎·热合曼 扎西·顿珠 艾尔肯·吐尼亚孜 迪丽热巴·迪力木拉提 约翰·史密斯 "
                "玛丽·居里 列夫·托尔斯泰 约翰·菲茨杰拉德·肯尼迪 努尔·阿卜杜 热依拉·买买提").split()
NAMES_PINYIN = ("Zhang Wei|Li Na|WANG Xiaoming|Chen Jing|Liu Yang|Xiaoming Wang|Ouyang Nana|HUANG Lei|Zhao Min|"
                "Sun Yue|Zhou Ting|Xu Peng|LIN Feng|Guo Jing").split("|")
NAMES_TITLE = "张先生 王女士 李老师 刘医生 陈经理 赵主任 周律师 孙阿姨 马师傅 黄教授 吴总 徐大夫 杨护士 郑老板".split()

ADDRESSES = {
    "province": ["广东省深圳市南山区科技园南区8栋302室", "浙江省杭州市西湖区文三路477号", "江苏省南京市鼓楼区中山北路105号",
                 "四川省成都市武侯区人民南路四段12号", "湖北省武汉市洪山区珞喻路1037号", "山东省青岛市市南区香港中路36号2单元801",
                 "河南省郑州市金水区花园路59号院3号楼", "湖南省长沙市岳麓区麓山南路932号", "福建省厦门市思明区湖滨南路388号"],
    "city": ["北京市朝阳区建国路88号", "上海市浦东新区张江路665号3号楼", "深圳市福田区福华三路88号", "杭州市余杭区文一西路969号",
             "广州市天河区体育西路191号", "天津市河西区友谊路35号", "西安市雁塔区小寨东路126号", "苏州市工业园区星湖街328号"],
    "district": ["海淀区中关村大街27号", "朝阳区望京西园三区312号楼4单元601", "浦东新区陆家嘴环路1000号",
                 "天河区珠江新城花城大道85号", "南山区粤海街道科苑路15号", "江北区观音桥步行街9号"],
    "street": ["建国路88号SOHO现代城5号楼1503", "文三路477号华星科技大厦", "人民路128号", "淮海中路999号",
               "南京西路1266号", "解放大道1095号", "长江路58号2栋", "和平里东街11号院"],
    "town": ["泗泾镇江川北路88弄5号", "周庄镇全福路30号", "塘渡口镇新华路12号", "乌镇石佛南路18号", "太平镇东风街6号"],
    "village": ["湖南省邵阳县塘渡口镇杨柳村三组", "郸城县胡集乡李楼村5组12号", "王家村3组15号", "大王庄村东头27号",
                "李家坝村二组8号", "石门乡白沙村4组"],
    "compound": ["阳光花园3栋2单元502室", "幸福小区5-7-1091", "碧桂园十期12-3-2201", "万科城市花园8号楼3单元1102",
                 "融侨华府3栋1801", "金地名苑B座1208室", "龙湖春江彼岸6-2-302", "翠苑一区12幢301"],
    "noisy": ["北京市 朝阳区 建国路 88号", "上海市徐汇区漕溪北路 88 号（近地铁站）", "成都市高新区天府大道北段1700号#3-1-205",
              "广州市越秀区东风中路 437 号 2 栋"],
}

# Hard negatives: no person, no address.
NEGATIVES = {
    "chat": ["明天去张家口滑雪吗？", "周末一起去王府井逛街吧", "我买了个小米手机，挺好用的", "高兴死了，马上放假了！",
             "于是我们就决定去黄山玩", "常常熬夜对身体不好", "白天太热了，晚上再出门", "今天黄金价格又涨了",
             "金额不对，你再核对一下", "方便的话帮我带杯咖啡", "我在3号线上，马上到", "到了5楼会议室等你",
             "石家庄今天雾霾好严重", "这家店的华为专柜在二楼", "刚下高铁，先回家放行李", "这个游戏叫王者荣耀，你玩吗",
             "江湖救急，借我点钱", "钱包落在出租车上了", "要不要去南京路步行街", "今天周五，晚上吃火锅吧",
             "李宁的运动鞋打折了", "外卖怎么还没到啊", "平安夜快乐！", "我刚到西湖边，人好多", "任何时候都可以找我"],
    "service": ["您好，请问有什么可以帮您？", "您的订单已发货，预计三天内送达", "退款金额将在七个工作日内原路返回",
                "请您提供订单号，我帮您查询", "非常抱歉给您带来不便", "该商品支持七天无理由退货", "工作时间为早九点到晚六点",
                "您反映的问题我们已记录，会尽快处理", "请问您是在哪个平台下的单？", "华为手机的保修期是一年",
                "我们的门店在万达广场三楼", "感谢您的耐心等待", "优惠券已经放到您的账户里了", "快递已到达上海转运中心",
                "目前北京地区暂时无法配送", "请关注我们的官方公众号", "会员积分可以抵扣现金", "系统升级期间暂停服务"],
    "medical": ["患者自述头痛三天，伴恶心呕吐。", "诊断：2型糖尿病，建议控制饮食。", "血压140/90mmHg，心率82次/分。",
                "既往有高血压病史十年，规律服药。", "建议复查血常规及肝功能。", "主诉：咳嗽咳痰一周。", "无药物过敏史。",
                "入院后予抗感染治疗，病情好转。", "CT提示右肺下叶炎症。", "嘱患者低盐低脂饮食，定期随访。",
                "病人今日体温37.8度，精神尚可。", "术后第三天，切口愈合良好。", "转至北京协和医院进一步治疗。",
                "家族中无遗传病史。", "空腹血糖7.8mmol/L。"],
    "news": ["今年夏天长江流域降雨偏多。", "国家统计局发布了最新的经济数据。", "北京市今天召开新闻发布会。",
             "中国银行宣布下调存款利率。", "清华大学今年扩招两百人。", "黄河三角洲湿地保护取得新进展。",
             "上海证券交易所指数小幅上涨。", "张江科学城吸引了大批企业入驻。", "深圳今年的GDP增速领先全国。",
             "王府井商圈客流量同比增长。", "杭州亚运会的场馆将向公众开放。", "成都大熊猫繁育研究基地迎来新生幼崽。",
             "广州地铁新线路今日开通。", "武汉大学樱花节吸引了大量游客。", "石家庄至太原的高铁正式通车。",
             "维吾尔族的传统节日古尔邦节到了。", "蒙古族那达慕大会开幕。", "全国高考报名人数再创新高。",
             "招商银行发布年度财报，净利润增长。", "中关村科技园区举办创新大赛。", "长安街沿线今晚实施交通管制。",
             "华夏文明源远流长。", "丝绸之路经济带建设稳步推进。", "台风“海葵”将在福建沿海登陆。", "小米汽车发布新款车型。",
             "王老吉凉茶销量创历史新高。", "京沪高速公路部分路段拥堵。", "318国道川藏线迎来自驾高峰。"],
    "resume": ["熟练掌握Python、Java等编程语言。", "具有良好的团队合作精神。", "2015年毕业于武汉大学计算机系。",
               "负责公司核心产品的后端开发。", "英语六级，能流利阅读英文文献。", "曾获得校级一等奖学金。",
               "期望薪资：面议。", "工作地点：北京或上海。", "自我评价：认真负责，学习能力强。", "求职意向：产品经理。",
               "2018年至今就职于华为技术有限公司。", "熟悉Linux系统和常用的开发工具。", "参与过多个大型项目的需求分析。",
               "政治面貌：共青团员。", "民族：汉族。"],
    "instruction": ["请把下面这段话翻译成英文。", "写一首关于春天的五言绝句。", "总结以下文章的主要观点。",
                    "请解释什么是机器学习。", "用三句话介绍一下长城。", "列出五种常见的水果。", "把这句话改写得更礼貌一些。",
                    "请给出一个Python快速排序的例子。", "比较北京和上海的气候差异。", "以“黄山日出”为题写一段描写。",
                    "解释成语“画蛇添足”的意思。", "请为一家咖啡店起三个名字。", "回答：中国最长的河流是哪条？",
                    "请判断下面的句子是否通顺。", "生成一段关于环保的宣传语。", "写一篇介绍西安兵马俑的导游词。",
                    "给出三个学习英语的建议。", "把下列城市按人口从多到少排序：广州、重庆、成都。", "续写故事：那天下着大雨……",
                    "请用一句话概括《红楼梦》的主题。", "计算：123乘以45等于多少？", "推荐几本适合初学者的编程书。",
                    "描述一下江南水乡的特点。", "写一段周大福珠宝的广告文案。", "解释“王道”和“霸道”的区别。"],
}

NAME_FRAMES = {
    "chat": ["{n}说他明天不来了", "我刚和{n}吃完饭", "你认识{n}吗？", "{n}，晚上一起吃饭吗", "@{n} 文件发你邮箱了",
             "帮我问问{n}到哪了", "{n}刚才打电话找你", "我是{n}，加个好友吧", "昨天在地铁上碰到{n}了", "{n}生日快乐！"],
    "service": ["您好{n}，您的订单已经发出", "客户{n}来电咨询退款进度", "{n}反映收到的商品有破损", "已联系{n}确认收货时间",
                "会员{n}的积分已到账", "这单是{n}下的，请核实", "用户{n}投诉配送太慢"],
    "medical": ["患者{n}，男，58岁，因胸闷入院。", "{n}主诉头晕两天。", "主治医生：{n}。", "家属{n}签字同意手术。",
                "{n}女士今日复诊，血压平稳。", "病人{n}对青霉素过敏。", "{n}，女，32岁，孕28周产检。"],
    "news": ["记者{n}报道，", "{n}表示，公司将继续加大研发投入。", "据{n}介绍，项目已进入收尾阶段。",
             "{n}在发布会上回答了记者提问。", "著名学者{n}昨日在京逝世。", "{n}当选为新一届协会会长。",
             "本报讯（通讯员{n}）"],
    "resume": ["姓名：{n}  性别：男", "{n}，1990年出生，本科学历。", "联系人：{n}", "推荐人：{n}（部门经理）",
               "{n}曾任某科技公司技术总监。", "候选人{n}具有五年工作经验。"],
    "instruction": ["请以{n}的口吻写一封感谢信。", "{n}是谁？请简要介绍。", "把“{n}今天很开心”翻译成英文。",
                    "根据以下信息为{n}写一段个人简介。", "假设你是{n}，回答用户的问题。"],
}
ADDRESS_FRAMES = {
    "chat": ["我家住在{a}，你来的时候打电话", "快递寄到{a}就行", "地址发你了：{a}", "明天到{a}集合", "我搬家了，新家在{a}"],
    "service": ["收货地址：{a}", "您的订单将配送至{a}", "请核对地址是否为{a}", "客户要求把地址改成{a}", "上门维修地址：{a}"],
    "medical": ["现住址：{a}", "户籍地址：{a}。", "患者家住{a}，步行来院。", "随访地址：{a}"],
    "news": ["事发地点位于{a}。", "新店开在{a}。", "警方在{a}查获一批假货。"],
    "resume": ["通讯地址：{a}", "家庭住址：{a}", "现居住地：{a}"],
    "instruction": ["请把地址“{a}”拆分成省市区和详细地址。", "将{a}格式化为标准邮寄地址。", "判断“{a}”是否为有效地址。"],
}
BOTH_FRAMES = {
    "chat": ["{n}住在{a}，你去找他吧", "寄给{n}，地址是{a}"],
    "service": ["收件人：{n}，地址：{a}", "{n}的收货地址是{a}"],
    "medical": ["患者{n}，住址：{a}。"],
    "news": ["{n}家住{a}，多年来坚持义务献血。"],
    "resume": ["{n}，现居{a}"],
    "instruction": ["请给{n}写一封信，收信地址是{a}。"],
}


def _names(rng: random.Random, k: int) -> list[str]:
    pools = [NAMES_TWO, NAMES_THREE, NAMES_THREE, NAMES_COMPOUND, NAMES_DOTTED, NAMES_PINYIN, NAMES_TITLE]
    return [rng.choice(rng.choice(pools)) for _ in range(k)]


def _addresses(rng: random.Random, k: int) -> list[str]:
    levels = list(ADDRESSES)
    return [rng.choice(ADDRESSES[rng.choice(levels)]) for _ in range(k)]


def build(seed: int = 18) -> list[tuple[str, int, int, str]]:
    rng = random.Random(seed)
    rows: list[tuple[str, int, int, str]] = []
    for genre in NAME_FRAMES:
        for frame in NAME_FRAMES[genre]:
            for n in _names(rng, 7):
                rows.append((genre, 1, 0, frame.format(n=n)))
        for frame in ADDRESS_FRAMES[genre]:
            for a in _addresses(rng, 6):
                rows.append((genre, 0, 1, frame.format(a=a)))
        for frame in BOTH_FRAMES[genre]:
            for n, a in zip(_names(rng, 3), _addresses(rng, 3), strict=True):
                rows.append((genre, 1, 1, frame.format(n=n, a=a)))
        for sentence in NEGATIVES[genre]:
            rows.append((genre, 0, 0, sentence))
    # every level of address and every kind of name appears at least once more
    for level, values in ADDRESSES.items():
        for a in values:
            rows.append(("address_levels", 0, 1, f"地址：{a}" if level != "noisy" else a))
    return list(dict.fromkeys(rows))


def main() -> None:
    rows = build()
    lines = ["genre\thas_name\thas_address\tsentence"] + [f"{g}\t{n}\t{a}\t{s}" for g, n, a, s in rows]
    (HERE / "ner_eval.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(rows)} sentences: {sum(r[1] for r in rows)} with a name, {sum(r[2] for r in rows)} with an address, "
          f"{sum(1 for r in rows if not r[1] and not r[2])} with neither")


if __name__ == "__main__":
    main()
