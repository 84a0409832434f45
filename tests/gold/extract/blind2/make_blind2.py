"""Writes the second blind extraction set: fifteen pages of kinds no gold set had.

Written for issue 14 before any extraction code was changed, from the failure classes seen on
real pages (信息公开 通告 notices under a disclosure table, old county table layouts with a body
split across a <div> and a sibling <table>, column-prefixed headlines, "site - headline"
<title>s, portal link directories, short briefs beside long sidebars, damaged bytes). The gold
body is the text each page is built from, never an extractor's output. Measured once before
tuning; that figure is the blind figure in benchmarks/README.md.
Run: python tests/gold/extract/blind2/make_blind2.py
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
_NAV = (
    '<div class="{cls}"><a href="/">首页</a><a href="/zwgk/">政务公开</a>'
    '<a href="/bsfw/">办事服务</a><a href="/hdjl/">互动交流</a><a href="/zjxx/">走进本地</a></div>'
)


def _p(lines: list[str], style: str = "") -> str:
    attr = f' style="{style}"' if style else ""
    return "".join(f"<p{attr}>{line}</p>" for line in lines)


def _notice_xxgk() -> dict:
    """A provincial 通告 under a disclosure table whose labels carry inner spaces."""
    title = "某省人民政府关于做好2022年普通高等学校招生考试期间考点周边环境管理工作的通告"
    body = [
        "某政通〔2022〕1号",
        "为做好2022年普通高等学校招生全国统一考试期间考点周边环境管理工作，为广大考生创造安全、"
        "安静、有序的考试环境，根据《中华人民共和国治安管理处罚法》《中华人民共和国噪声污染防治法》"
        "等法律法规规定，现就有关事项通告如下：",
        "一、6月6日至6月9日，各考点周边500米范围内禁止从事产生环境噪声的建筑施工作业，禁止使用"
        "高音广播喇叭。",
        "二、考试期间，考点周边道路实行临时交通管制，除送考车辆和执行任务的特种车辆外，其他机动车辆"
        "禁止鸣笛，行人和车辆应服从现场交通警察的指挥。",
        "三、严禁任何单位和个人利用无线电设备干扰考试秩序，严禁组织或者参与考试作弊，违者依法从严"
        "惩处；构成犯罪的，依法追究刑事责任。",
        "请广大市民群众理解支持，共同为考生营造良好的考试环境。",
        "特此通告。",
        "某省人民政府",
        "2022年5月20日",
    ]
    meta = f"""<table class="xxgk_table" width="100%">
<tr><td class="t1">索&nbsp;&nbsp;引&nbsp;号：</td><td>11140000MB1234567X/2022-00015</td>
<td class="t1">主题分类：</td><td>教育</td></tr>
<tr><td class="t1">发文机关：</td><td>某省人民政府</td><td class="t1">成文日期：</td><td>2022年05月20日</td></tr>
<tr><td class="t1">标　　题：</td><td colspan="3">{title}</td></tr>
<tr><td class="t1">发文字号：</td><td>某政通〔2022〕1号</td><td class="t1">发布日期：</td><td>2022年05月23日</td></tr>
</table>"""
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{title}_某省人民政府门户网站</title></head><body>
{_NAV.format(cls="head-nav")}
<div class="crumb">当前位置：首页 &gt; 政务公开 &gt; 政府文件</div>
<div class="xxgk-box">{meta}</div>
<div class="article">
<div class="article-tit"><h1>{title}</h1></div>
<div class="article-con"><div class="TRS_Editor">
<p style="text-align:center">{body[0]}</p>
<p>{body[1]}</p>
<div class="Custom_UnionStyle"><p>{body[2]}</p><p>{body[3]}</p></div>
<p><span>{body[4]}</span></p>
<p>{body[5]}</p>
<p>{body[6]}</p>
<p style="text-align:right">{body[7]}</p>
<p style="text-align:right">{body[8]}</p>
</div></div></div>
<div class="xgwj"><h3>相关文件</h3><ul><li><a>某省人民政府关于做好2021年高考期间考点周边环境管理工作的通告</a></li>
<li><a>某省教育厅关于2022年普通高校招生工作的通知</a></li></ul></div>
<div class="footer">主办：某省人民政府办公厅　网站标识码：1400000001　某ICP备05000001号</div>
</body></html>"""
    return dict(
        name="bl01_xxgk_tonggao_utf8",
        raw=html.encode("utf-8"),
        ctype="text/html; charset=utf-8",
        enc="utf-8",
        title=title,
        body=body,
        published="2022-05-23",
        doc_number="某政通〔2022〕1号",
        source_org="某省人民政府",
        index_number="11140000MB1234567X/2022-00015",
        without=["当前位置", "主题分类", "成文日期", "相关文件", "网站标识码", "办事服务"],
    )


def _county_split() -> dict:
    """Old county nested tables: body in a <div> then a sibling <table>, title split by <br>."""
    title = "县教育局关于印发《2023年秋季学期中小学开学工作方案》的通知"
    first = [
        "各乡镇中心学校，县直各学校：",
        "现将《2023年秋季学期中小学开学工作方案》印发给你们，请结合实际认真贯彻落实。",
        "一、做好开学准备。各校要在8月25日前完成校舍安全排查，对排查出的隐患建立台账，限期整改到位。",
        "二、抓好招生入学。严格落实义务教育免试就近入学规定，不得以任何形式举行或变相举行入学考试。",
    ]
    second = [
        "三、加强安全管理。开学第一周集中开展交通、防溺水、消防和食品安全教育，每校至少组织一次应急疏散演练。",
        "四、落实资助政策。各校要及时开展家庭经济困难学生认定工作，确保资助资金足额发放到位。",
        "县教育局",
        "2023年8月18日",
    ]
    body_div = "".join(f"<div>{line}</div>" for line in first)
    body_tab = "".join(f"<tr><td>　　{line}</td></tr>" for line in second)
    html = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>某县人民政府</title></head><body>
<table width="1000" align="center"><tr><td><img src="/images/banner.jpg"></td></tr>
<tr><td><a href="/">网站首页</a> | <a href="/zwgk/">政务公开</a> | <a href="/jyxx/">教育信息</a> | <a href="/xzzq/">下载专区</a></td></tr></table>
<table width="1000" align="center"><tr>
<td width="200" valign="top"><table><tr><td>教育信息</td></tr><tr><td><a>通知公告</a></td></tr>
<tr><td><a>工作动态</a></td></tr><tr><td><a>政策法规</a></td></tr></table></td>
<td width="800" valign="top"><table width="100%">
<tr><td>您现在的位置：首页 &gt; 教育信息 &gt; 通知公告</td></tr>
<tr><td align="center" style="font-size:20px;color:#c00"><b>县教育局关于印发<br>《2023年秋季学期中小学开学工作方案》的通知</b></td></tr>
<tr><td align="center">发布时间：2023-08-20　来源：县教育局　浏览次数：326</td></tr>
<tr><td style="line-height:28px"><div id="zoom">{body_div}</div>
<table width="100%">{body_tab}</table></td></tr>
<tr><td align="center">【<a>打印本页</a>】【<a>关闭窗口</a>】</td></tr></table></td></tr></table>
<table width="1000" align="center"><tr><td align="center">版权所有：某县人民政府　地址：某县人民路1号　电话：0310-1234567</td></tr></table>
</body></html>"""
    return dict(
        name="bl02_county_split_gbk",
        raw=html.encode("gbk"),
        ctype="text/html",
        enc="gb18030",
        title=title,
        body=first + second,
        published="2023-08-20",
        doc_number=None,
        source_org="县教育局",
        index_number=None,
        without=["您现在的位置", "浏览次数", "打印本页", "版权所有", "下载专区", "工作动态"],
    )


def _xinhua_prefix() -> dict:
    """A column-prefixed <title>; the page prints only the headline, in a styled div."""
    head = "河北遵化：山区小学开出“科学课”"
    body = [
        "9月14日，河北省遵化市东陵满族乡一所山区小学的学生在科学课上观察植物标本。",
        "新学期以来，遵化市组织城区学校骨干教师到山区学校开展送教活动，通过科学实验、自然观察等课程，"
        "激发孩子们探索科学的兴趣。",
        "据了解，今年遵化市已为山区学校配备科学实验室14间，培训乡村科学教师80余名。",
    ]
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>新华视界｜{head}-新华网</title></head><body>
<div class="nav-top"><a>首页</a><a>时政</a><a>国际</a><a>财经</a><a>图片</a><a>视频</a></div>
<div class="main">
<div style="font-size:30px;font-weight:bold;line-height:44px;text-align:center">{head}</div>
<div class="info">2023-09-15 10:21:36　来源：新华网</div>
<div id="detail">{_p(body)}
<p>（记者 张三 摄）</p></div>
<div class="editor">【责任编辑：李四】</div>
</div>
<div class="foot">Copyright © 2000-2023 XINHUANET.com All Rights Reserved.</div>
</body></html>"""
    return dict(
        name="bl03_xinhua_prefix_utf8",
        raw=html.encode("utf-8"),
        ctype="text/html; charset=utf-8",
        enc="utf-8",
        title=head,
        body=[*body, "（记者 张三 摄）"],
        published="2023-09-15",
        doc_number=None,
        source_org="新华网",
        index_number=None,
        without=["新华视界", "责任编辑", "Copyright", "时政"],
    )


def _tushuo_prefix() -> dict:
    """ "图说洛阳| headline - site": the column before a bar, the headline repeated as <h2>."""
    head = "老城十字街：千年古街焕新颜"
    body = [
        "图为修缮一新的老城十字街。",
        "近日，历时一年的老城十字街街区改造提升工程完工，沿街120余栋建筑恢复了明清风貌，"
        "青石板路、木质门窗与传统店铺招牌相映成趣。",
        "改造中，施工方坚持修旧如旧，保留了街区原有的空间格局，同时新建了地下停车场和口袋公园，"
        "方便市民游客出行休闲。",
    ]
    html = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>图说洛阳| {head} - 洛阳网</title></head><body>
<div id="topnav"><a>首页</a> <a>新闻</a> <a>图说洛阳</a> <a>视频</a></div>
<div class="pic-page"><div class="lanmu">图说洛阳</div>
<h2>{head}</h2>
<div class="time">2023-04-12 09:05　来源：洛阳网</div>
<div class="pic-text"><p><img src="/pic/1.jpg"></p>{_p(body)}</div></div>
<div class="bottom">洛阳网 版权所有 豫ICP备05000000号</div>
</body></html>"""
    return dict(
        name="bl04_tushuo_gb2312",
        raw=html.encode("gb2312"),
        ctype="text/html",
        enc="gb18030",
        title=head,
        body=body,
        published="2023-04-12",
        doc_number=None,
        source_org="洛阳网",
        index_number=None,
        without=["版权所有", "ICP备", "视频"],
    )


def _site_first_title() -> dict:
    """ "site - headline" <title> with ASCII quotes; the page's styled div uses curly ones."""
    title = "市教育局：以“有解思维”破解瓶颈 推动教育高质量发展"
    body = [
        "今年以来，市教育局坚持问题导向，以“有解思维”破解教育发展中的难点堵点问题。",
        "针对城区学位紧张问题，新建、改扩建中小学和幼儿园9所，新增学位6300个；针对乡村学校师资薄弱问题，"
        "选派120名城区骨干教师到乡村学校支教。",
        "下一步，市教育局将继续聚焦群众关切，推动全市教育高质量发展。",
    ]
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>乌海市人民政府 - 市教育局：以"有解思维"破解瓶颈 推动教育高质量发展</title></head><body>
<div class="header"><div class="logo">乌海市人民政府</div>{_NAV.format(cls="nav")}</div>
<div class="wz">当前位置：首页 &gt; 政务公开 &gt; 部门动态</div>
<div class="zw-box">
<div style="font-size:24px;color:#0b4ea2;font-weight:bold;text-align:center;padding:20px 0">{title}</div>
<div class="zw-info">发布时间：2023-06-08　来源：市教育局　阅读次数：1024</div>
<div class="zw-text">{_p(body, "text-indent:2em")}</div></div>
<div class="footer">主办单位：乌海市人民政府办公室　网站标识码：1503000001</div>
</body></html>"""
    return dict(
        name="bl05_site_first_utf8",
        raw=html.encode("utf-8"),
        ctype="text/html; charset=utf-8",
        enc="utf-8",
        title=title,
        body=body,
        published="2023-06-08",
        doc_number=None,
        source_org="市教育局",
        index_number=None,
        without=["当前位置", "阅读次数", "主办单位", "部门动态"],
    )


def _site_dashdash_title() -> dict:
    """ "bureau--headline" <title>; the headline repeated in a bold centred block."""
    title = "关于印发《滨海新区2023年校外培训机构治理工作要点》的通知"
    body = [
        "各有关单位：",
        "现将《滨海新区2023年校外培训机构治理工作要点》印发给你们，请结合工作实际，认真抓好落实。",
        "一、持续压减学科类校外培训机构，全年核查线上线下培训机构不少于200家次。",
        "二、严格非学科类校外培训机构准入审批，审批结果在区政府网站公示。",
        "三、健全预收费监管机制，预收费全部纳入监管账户。",
        "滨海新区教育体育局",
        "2023年3月9日",
    ]
    html = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>滨海新区教育体育局--{title}</title></head><body>
<div class="top-nav"><a>首页</a>|<a>机构概况</a>|<a>政务公开</a>|<a>教育动态</a>|<a>体育动态</a></div>
<div class="weizhi">您的位置：首页 &gt; 政务公开 &gt; 通知公告</div>
<div class="content-main">
<p align="center"><b><font size="4" color="#000">{title}</font></b></p>
<p align="center">发布日期：2023-03-10　来源：滨海新区教育体育局</p>
<div class="content-text">{_p(body)}</div></div>
<div class="copyright">版权所有：天津市滨海新区教育体育局　津ICP备10000000号</div>
</body></html>"""
    return dict(
        name="bl06_dashdash_gbk",
        raw=html.encode("gbk"),
        ctype="text/html; charset=gbk",
        enc="gb18030",
        title=title,
        body=body,
        published="2023-03-10",
        doc_number=None,
        source_org="滨海新区教育体育局",
        index_number=None,
        without=["您的位置", "版权所有", "机构概况", "体育动态"],
    )


def _portal_links() -> dict:
    """A provincial portal article above a footer link directory of many short link lines."""
    title = "省教育厅召开2023年全省教育工作会议"
    body = [
        "2月16日，省教育厅召开2023年全省教育工作会议，总结2022年全省教育工作，部署2023年重点任务。",
        "会议指出，过去一年，全省新增公办幼儿园学位3.2万个，义务教育巩固率达到97.5%，"
        "高等教育毛入学率提高到58%。",
        "会议要求，2023年要聚焦学前教育普惠发展、义务教育优质均衡、职业教育产教融合等重点工作，"
        "加快建设教育强省。",
        "各市教育局、厅属各单位主要负责同志参加会议。",
    ]
    groups = {
        "中国政府网": [],
        "国家部委网站": [
            "外交部",
            "国防部",
            "国家发展和改革委员会",
            "教育部",
            "科学技术部",
            "工业和信息化部",
            "国家民族事务委员会",
            "公安部",
            "民政部",
            "司法部",
            "财政部",
        ],
        "省级政府网站": ["北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林"],
        "市级政府网站": ["某州市", "某阳市", "某山市", "某江市"],
    }
    links = "".join(
        f'<div class="wz-item"><div class="wz-name"><a>{name}</a></div>'
        + "".join(f'<div class="wz-link"><a>{x}</a></div>' for x in items)
        + "</div>"
        for name, items in groups.items()
    )
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{title}_某省人民政府门户网站</title></head><body>
<div class="header">{_NAV.format(cls="menu")}</div>
<div class="position">当前位置：首页 &gt; 要闻动态 &gt; 部门动态</div>
<div class="detail"><div class="detail-title"><h1>{title}</h1></div>
<div class="detail-info">发布时间：2023-02-17 09:30　来源：省教育厅</div>
<div class="detail-content">{_p(body)}</div></div>
<div class="wzlj">{links}</div>
<div class="footer">主办：某省人民政府办公厅　网站标识码：1300000001</div>
</body></html>"""
    without = ["国家部委网站", "外交部", "国防部", "省级政府网站", "中国政府网", "民政部", "内蒙古"]
    return dict(
        name="bl07_portal_links_utf8",
        raw=html.encode("utf-8"),
        ctype="text/html; charset=utf-8",
        enc="utf-8",
        title=title,
        body=body,
        published="2023-02-17",
        doc_number=None,
        source_org="省教育厅",
        index_number=None,
        without=without,
    )


def _brief_badge() -> dict:
    """A ~100-character brief beside an author-badge tooltip and a long recommended list."""
    title = "市第三中学新校区正式启用"
    body = [
        "本报讯（记者 王敏）9月1日，市第三中学新校区正式启用，可提供学位2400个。新校区占地120亩，"
        "建有教学楼、实验楼和体育馆，配备智慧教室60间。",
    ]
    tip = (
        "王敏，本报教育新闻部记者，长期关注基础教育改革、校园安全、教师队伍建设等领域，"
        "采写的多篇报道获省新闻奖。她常年深入学校一线，记录教师、学生和家长的故事，"
        "欢迎读者提供新闻线索，共同关注本市教育事业的发展。"
    )
    recs = [
        (
            "全市中小学秋季开学平稳有序",
            "9月1日，全市中小学、幼儿园迎来秋季开学，共有在校生38万人。各校精心准备开学第一课，"
            "市教育局组织专项督查组，对开学准备情况进行检查，确保师生安全返校。",
        ),
        (
            "我市新增义务教育学位1.2万个",
            "今年，我市新建、改扩建义务教育学校15所，新增学位1.2万个，"
            "有效缓解了城区学位紧张问题，进一步满足了群众就近入学需求。",
        ),
        (
            "市教育局部署校园安全工作",
            "近日，市教育局召开校园安全工作会议，部署开学季校园安全工作，"
            "要求各校全面排查安全隐患，落实安全责任，开展安全教育。",
        ),
    ]
    side = "".join(f"<li><h4><a>{t}</a></h4><p>{s}</p></li>" for t, s in recs)
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{title}-某市日报</title></head><body>
<div class="channel-nav"><a>首页</a><a>本地</a><a>教育</a><a>文旅</a></div>
<div class="layout"><div class="left">
<h1 class="art-title">{title}</h1>
<div class="art-meta">2023-09-02 08:30　来源：某市日报
<span class="author-badge">王敏<div class="badge-tip">{tip}</div></span></div>
<div class="art-body">{_p(body)}</div></div>
<div class="right"><div class="rec"><h3>推荐阅读</h3><ul>{side}</ul></div></div></div>
<div class="foot">某市日报社 版权所有</div>
</body></html>"""
    return dict(
        name="bl08_brief_badge_utf8",
        raw=html.encode("utf-8"),
        ctype="text/html; charset=utf-8",
        enc="utf-8",
        title=title,
        body=body,
        published="2023-09-02",
        doc_number=None,
        source_org="某市日报",
        index_number=None,
        without=["教育新闻部记者", "推荐阅读", "全市中小学秋季开学平稳有序", "校园安全工作会议"],
    )


def _wire_recommend() -> dict:
    """A short wire item, then a "recommended article" box with a longer summary."""
    title = "教育部：严禁以竞赛证书作为中小学招生依据"
    body = [
        "新华社北京10月8日电 记者从教育部获悉，教育部近日印发通知，要求各地进一步规范中小学招生入学工作，"
        "严禁以各类竞赛证书、考级证明作为招生依据。",
    ]
    rec = (
        "为深入贯彻落实党中央、国务院关于减轻义务教育阶段学生作业负担和校外培训负担的决策部署，"
        "教育部近年来持续加强竞赛活动管理，公布了面向中小学生的全国性竞赛活动名单，"
        "明确竞赛活动坚持公益性原则，不得收取任何费用，不得与招生入学挂钩。"
        "各地教育行政部门要加强对竞赛活动的监督检查，对违规举办竞赛活动的，依法依规严肃处理，"
        "并向社会公开曝光，切实维护良好教育生态。"
    )
    html = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb18030">
<title>{title}_新闻频道_某网</title></head><body>
<div class="topbar"><a>首页</a> <a>新闻</a> <a>教育</a></div>
<div class="container"><div class="main">
<h1>{title}</h1><div class="source">2023-10-08 16:12:05 来源：新华社</div>
<div class="article">{_p(body)}</div>
<div class="tuijian"><div class="tj-head">推荐文章</div>
<div class="tj-item"><div class="tj-title"><a>教育部公布2023—2025学年面向中小学生的全国性竞赛活动名单</a></div>
<div class="tj-summary">{rec}</div></div></div>
</div></div>
<div class="footer">某网 版权所有 未经授权禁止转载</div>
</body></html>"""
    return dict(
        name="bl09_wire_recommend_gb18030",
        raw=html.encode("gb18030"),
        ctype="text/html",
        enc="gb18030",
        title=title,
        body=body,
        published="2023-10-08",
        doc_number=None,
        source_org="新华社",
        index_number=None,
        without=["推荐文章", "全国性竞赛活动名单", "维护良好教育生态"],
    )


def _gbk_damaged() -> dict:
    """A long GBK page with six undecodable bytes: four in the chrome, two in the body."""
    title = "关于做好2023年中小学生暑期安全教育工作的通知"
    body = [
        "各区县教育局，各直属学校：",
        "暑期将至，为切实做好中小学生暑期安全教育工作，保障学生度过一个安全、健康、快乐的假期，"
        "现将有关事项通知如下。",
        "一、开展一次专题安全教育。放假前，各校要以防溺水、防交通事故、防电信诈骗为重点，"
        "开展一次专题安全教育活动。",
        "二、发放一封致家长的信。各校要通过致家长的一封信、家长会等形式，提醒家长切实履行监护责任。",
        "三、组织一次安全隐患排查。各校要对校舍、围墙、消防设施等开展一次全面排查，发现隐患及时整改。",
        "四、落实假期值班制度。严格执行24小时值班和领导带班制度，确保信息畅通。",
        "市教育局",
        "2023年6月28日",
    ]
    filler = "".join(
        f"<li><a href='/xw/{i}.html'>市教育局召开第{i}次工作例会部署近期重点工作</a><span>2023-06-{i % 28 + 1:02d}</span></li>"
        for i in range(1, 120)
    )
    html = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>{title}_某市教育局</title></head><body>
<div class="head">某市教育局 DAMAGE1<ul><li>首页</li><li>机构设置</li><li>政务公开</li></ul></div>
<div class="pos">当前位置：首页 &gt; 通知公告</div>
<div class="cont"><h2 class="title">{title}</h2>
<div class="info">发布日期：2023-06-28　来源：市教育局</div>
<div class="zw">{_p(body)}</div></div>
<div class="side"><h3>最新动态 DAMAGE2</h3><ul>{filler}</ul></div>
<div class="foot">版权所有：某市教育局 DAMAGE3 网站标识码：3100000001 DAMAGE4</div>
</body></html>"""
    raw = html.encode("gbk")
    # Each marker becomes one undecodable byte (0xFF is never a GBK lead or trail byte).
    for i in range(1, 5):
        raw = raw.replace(f" DAMAGE{i}".encode(), b" \xff")
    # Two stray bytes inside body sentences (the characters around them survive).
    needle = "度过一个".encode("gbk")
    raw = raw.replace(needle, needle[:2] + b"\xff" + needle[2:], 1)
    needle = "值班和".encode("gbk")
    raw = raw.replace(needle, needle[:2] + b"\xff" + needle[2:], 1)
    return dict(
        name="bl10_gbk_damaged",
        raw=raw,
        ctype="text/html; charset=gbk",
        enc="gb18030",
        title=title,
        body=body,
        published="2023-06-28",
        doc_number=None,
        source_org="市教育局",
        index_number=None,
        without=["当前位置", "最新动态", "工作例会", "版权所有", "网站标识码"],
    )


def _utf8_two_bad() -> dict:
    """A forum-style school board page in UTF-8 with one character cut short (2 bad bytes)."""
    title = "关于今年小学一年级新生入学报名的几点说明"
    body = [
        "各位家长：",
        "今年我校一年级新生报名采取网上报名方式，报名时间为7月1日至7月10日，逾期不再受理。",
        "报名时需上传户口簿、房产证明和儿童预防接种证扫描件，材料不全的，学校将电话通知补交。",
        "如有疑问，请在工作日拨打招生咨询电话0311-87654321。",
        "某市实验小学招生办",
    ]
    posts = "".join(f"<p>{line}</p>" for line in body)
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title} - 家长交流区 - 某市实验小学家校论坛</title></head>
<body><div id="hd"><a>论坛首页</a> <a>家长交流区</a> <a>教师园地</a> <a>登录</a> <a>注册</a></div>
<div id="pt">某市实验小学家校论坛 » 家长交流区 » {title}</div>
<table class="plhin"><tr><td class="pls"><div class="authi">招生办</div><div>帖子 35 积分 120</div></td>
<td class="plc"><h1 class="ts">{title}</h1><div class="pti">发表于 2023-06-20 15:30</div>
<div class="t_fsz"><div class="t_f" id="postmessage_1">{posts}</div></div></td></tr></table>
<div id="ft">Powered by Discuz! X3.4 © 2001-2023 某市实验小学</div></body></html>"""
    raw = html.encode("utf-8")
    needle = "扫描件".encode()
    # "描" loses its last byte: two bytes that no longer form a character.
    raw = raw.replace(needle, needle[:3] + needle[3:5] + needle[6:], 1)
    return dict(
        name="bl11_utf8_two_bad",
        raw=raw,
        ctype="text/html; charset=utf-8",
        enc="utf-8",
        title=title,
        body=body,
        published="2023-06-20",
        doc_number=None,
        source_org=None,
        index_number=None,
        without=["论坛首页", "教师园地", "积分", "Powered by"],
    )


def _sidebar_heading() -> dict:
    """A two-paragraph article dwarfed by a sidebar of long news summaries."""
    title = "区教育局开展校车安全专项检查"
    body = [
        "为保障学生上下学乘车安全，9月5日至8日，区教育局联合区交警大队对全区校车开展安全专项检查。",
        "此次共检查校车46辆，发现并整改安全隐患3处，对2名驾驶员进行了约谈。",
    ]
    news = [
        "区委书记到区实验学校调研教育工作，强调要坚持立德树人根本任务，办好人民满意的教育，"
        "加快推进教育现代化，为全区经济社会发展提供有力支撑。",
        "区政府召开常务会议，研究部署秋季开学、校园安全和教师队伍建设等工作，会议要求各部门"
        "密切配合，形成工作合力，确保各项工作落到实处。",
        "全区2023年教师节表彰大会召开，表彰优秀教师100名、优秀班主任60名、优秀教育工作者30名，"
        "号召全区教师以先进为榜样，爱岗敬业，甘于奉献。",
        "区教育局召开新学期工作部署会，对学校管理、教育教学、安全稳定等工作作出安排，"
        "要求各校以饱满的精神状态投入新学期工作。",
    ]
    side = "".join(f"<li><p>{n}</p></li>" for n in news)
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}_某区教育局</title></head><body>
{_NAV.format(cls="menu")}
<div class="w1200"><div class="fl main-l">
<div class="lm-title"><span>工作动态</span></div>
<h3 class="news-title">{title}</h3>
<div class="news-date">日期：2023-09-09　来源：区教育局</div>
<div class="news-txt">{_p(body)}</div></div>
<div class="fr main-r"><div class="hot"><h3>要闻推荐</h3><ul>{side}</ul></div></div></div>
<div class="footer">主办单位：某区教育局</div></body></html>"""
    return dict(
        name="bl12_sidebar_heading_utf8",
        raw=html.encode("utf-8"),
        ctype="text/html; charset=utf-8",
        enc="utf-8",
        title=title,
        body=body,
        published="2023-09-09",
        doc_number=None,
        source_org="区教育局",
        index_number=None,
        without=["要闻推荐", "区委书记", "常务会议", "表彰大会"],
    )


def _markup_title() -> dict:
    """A CMS that put rich-text markup into the ArticleTitle meta and the <title>."""
    title = "关于公布2023年市级示范性家长学校名单的通知"
    body = [
        "各区教育局：",
        "经学校申报、区级推荐和市级评审，确定某市第一中学等30所学校为2023年市级示范性家长学校，现予公布。",
        "希望各示范性家长学校充分发挥示范引领作用，持续提升家庭教育指导服务水平。",
        "某市教育局",
        "2023年11月2日",
    ]
    marked = f'&lt;div style="text-align:center"&gt;{title}&lt;/div&gt;'
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="ArticleTitle" content='<div style="text-align:center">{title}</div>'>
<title>{marked}_某市教育局</title></head><body>
{_NAV.format(cls="nav")}
<div class="position">当前位置：首页 &gt; 通知公告</div>
<div class="article"><h1>{title}</h1><div class="info">发布时间：2023-11-03　来源：市教育局</div>
<div class="article-body">{_p(body)}</div></div>
<div class="footer">版权所有：某市教育局</div></body></html>"""
    return dict(
        name="bl13_markup_title_utf8",
        raw=html.encode("utf-8"),
        ctype="text/html; charset=utf-8",
        enc="utf-8",
        title=title,
        body=body,
        published="2023-11-03",
        doc_number=None,
        source_org="市教育局",
        index_number=None,
        without=["当前位置", "版权所有", "互动交流"],
    )


def _url_title() -> dict:
    """A <title> that is the page's own URL; the headline is a bold centred cell."""
    title = "县教育局2023年度部门预算公开说明"
    body = [
        "根据预算公开有关规定，现将县教育局2023年度部门预算公开如下。",
        "一、收支预算总体情况。2023年收入预算总额3.6亿元，支出预算总额3.6亿元。",
        "二、一般公共预算支出情况。教育支出3.2亿元，占一般公共预算支出的91%。",
        "三、三公经费预算情况。2023年三公经费预算12万元，比上年减少2万元。",
    ]
    url = "http://jyj.example.gov.cn/art/2023/2/20/art_1234_56789.html"
    rows = "".join(f"<tr><td>{line}</td></tr>" for line in body)
    html = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{url}</title></head><body>
<table width="980" align="center"><tr><td><a>首页</a> <a>信息公开</a> <a>财政预决算</a></td></tr></table>
<table width="980" align="center"><tr><td align="center"><strong><font size="5">{title}</font></strong></td></tr>
<tr><td align="center">发布日期：2023-02-20　信息来源：县教育局　点击数：88</td></tr>
<tr><td><table width="95%">{rows}</table></td></tr></table>
<table width="980" align="center"><tr><td align="center">版权所有 某县教育局 技术支持：某某科技</td></tr></table>
</body></html>"""
    return dict(
        name="bl14_url_title_gb2312",
        raw=html.encode("gb2312"),
        ctype="text/html",
        enc="gb18030",
        title=title,
        body=body,
        published="2023-02-20",
        doc_number=None,
        source_org="县教育局",
        index_number=None,
        without=["http://", "点击数", "版权所有", "技术支持", "财政预决算"],
    )


def _notice_xxgk_list() -> dict:
    """A city 通告 under a disclosure list of spaced labels; items spread over nested divs."""
    title = "某市教育局关于2023年中考期间禁止噪声扰民的通告"
    body = [
        "为保障2023年中考顺利进行，根据有关法律法规规定，现就中考期间禁止噪声扰民有关事项通告如下：",
        "一、6月24日至6月26日，全市各考点周边200米范围内禁止建筑施工作业。",
        "二、考试期间，考点周边禁止使用高音喇叭，禁止组织广场舞等产生噪声的活动。",
        "三、对违反本通告的，由有关部门依法予以处理。",
        "特此通告。",
        "某市教育局",
        "2023年6月15日",
    ]
    meta = """<ul class="gk-meta"><li><span>索 引 号：</span>000014349/2023-00321</li>
<li><span>发布机构：</span>某市教育局</li><li><span>发文日期：</span>2023-06-15</li>
<li><span>主题分类：</span>教育</li><li><span>文　　号：</span>某教通〔2023〕7号</li></ul>"""
    html = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{title}</title></head><body>
<div class="top">某市教育局 <a>首页</a> <a>信息公开</a></div>
<div class="main">{meta}
<div class="gk-title">{title}</div>
<div class="gk-content"><div><p>{body[0]}</p></div>
<div><div><p>{body[1]}</p></div><div><p>{body[2]}</p></div><div><p>{body[3]}</p></div></div>
<div><p>{body[4]}</p></div><div style="text-align:right"><p>{body[5]}</p><p>{body[6]}</p></div></div></div>
<div class="bottom">主办：某市教育局　网站标识码：3300000009</div></body></html>"""
    return dict(
        name="bl15_xxgk_list_gb2312",
        raw=html.encode("gb2312"),
        ctype="text/html",
        enc="gb18030",
        title=title,
        body=body,
        published="2023-06-15",
        doc_number="某教通〔2023〕7号",
        source_org="某市教育局",
        index_number="000014349/2023-00321",
        without=["索 引 号", "主题分类", "网站标识码"],
    )


def pages() -> list[dict]:
    return [
        _notice_xxgk(),
        _county_split(),
        _xinhua_prefix(),
        _tushuo_prefix(),
        _site_first_title(),
        _site_dashdash_title(),
        _portal_links(),
        _brief_badge(),
        _wire_recommend(),
        _gbk_damaged(),
        _utf8_two_bad(),
        _sidebar_heading(),
        _markup_title(),
        _url_title(),
        _notice_xxgk_list(),
    ]


def main() -> None:
    for p in pages():
        (HERE / f"{p['name']}.html").write_bytes(p["raw"])
        gold = {
            "file": f"blind2/{p['name']}.html",
            "url": f"http://www.example.gov.cn/{p['name']}.html",
            "content_type": p["ctype"],
            "encoding": p["enc"],
            "template": "blind2",
            "title": p["title"],
            "text": "\n".join(p["body"]),
            "published": p["published"],
            "doc_number": p["doc_number"],
            "source_org": p["source_org"],
            "index_number": p["index_number"],
            "attachments": p.get("attachments", []),
            "without": p["without"],
        }
        (HERE / f"{p['name']}.json").write_text(
            json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
