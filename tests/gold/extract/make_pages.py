
"""Write the hand-made gold pages (pages/*.html as raw bytes) and their gold JSON files.

Run once by hand (`python tests/gold/extract/make_pages.py`); the output is committed and the
tests read the files, not this script. The templates below are hand-written imitations of
seven CMS layouts seen on bureau sites; the bodies are passages of ../shared/seed-pages
plus notices written for this set. The gold text is the body as *given* here, never an
extractor's output, so the set cannot drift towards what the code happens to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import opencc

HERE = Path(__file__).parent
SEEDS = HERE.parents[2] / ".." / "shared" / "seed-pages"
_S2T = opencc.OpenCC("s2tw")  # Taiwan forms: what Big5 can encode (為, not 爲)


def _seed(name: str) -> list[str]:
    text = (SEEDS / name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.split("\n") if ln.strip()]


S000 = _seed("000_e87c88881b69df5a.txt")
S001 = _seed("001_15395bd79035c2d5.txt")[0].split(" ")
S002 = _seed("002_04308c54ffeb2f22.txt")
S003 = _seed("003_ff01c3c84d126fe2.txt")
S004 = _seed("004_d6cde3a42d9d44eb.txt")


@dataclass
class Page:
    id: str
    template: str
    encoding: str  # codec the bytes are written in
    meta_charset: str | None  # what <meta> says (may be absent)
    content_type: str  # the HTTP header (may omit charset)
    url: str
    title: str
    paras: list[str]
    site: str = "天津市滨海新区教育体育局"
    title_tag: str | None = None  # default "title_site"
    title_lines: list[str] = field(default_factory=list)  # heading split over <br>
    published: str | None = None
    doc_number: str | None = None
    source_org: str | None = None
    index_number: str | None = None
    attachments: list[tuple[str, str, str]] = field(default_factory=list)  # name, href, abs
    traditional: bool = False
    table: list[list[str]] = field(default_factory=list)  # a body table after the paras


def _p(paras: list[str], indent: str = "") -> str:
    return "\n".join(f'<p style="text-indent:2em">{indent}{x}</p>' for x in paras)


def _table(rows: list[list[str]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{c}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows[1:])
    return f'<table border="1" class="MsoTable"><tr>{head}</tr>{body}</table>'


def _attach(page: Page, label: str = "附件：") -> str:
    if not page.attachments:
        return ""
    items = "".join(f'<li><a href="{href}" target="_blank">{name}</a></li>'
                    for name, href, _ in page.attachments)
    return f'<div class="fujian"><p>{label}</p><ul>{items}</ul></div>'


def _head(page: Page, extra: str = "") -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={page.meta_charset}">' \
        if page.meta_charset else ""
    title_tag = page.title_tag if page.title_tag is not None else f"{page.title}_{page.site}"
    return (f"<!DOCTYPE html>\n<html>\n<head>\n{meta}\n<title>{title_tag}</title>\n{extra}"
            '<script>var _hmt = _hmt || []; document.write("浏览器");</script>\n'
            '<style>.nav{float:left}</style>\n</head>\n')


def _heading(page: Page) -> str:
    return "<br>".join(page.title_lines or [page.title])


# --- template 1: 信息公开 (TRS-style) with metadata table, toolbar, QR box, footer ---------
def t_gk(page: Page) -> str:
    return _head(page) + f"""<body>
<div class="header"><div class="logo"><img src="/images/logo.png" alt="{page.site}"></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/jggk/">机构概况</a></li>
<li><a href="/xxgk/">政务公开</a></li><li><a href="/jydt/">教育动态</a></li>
<li><a href="/hdjl/">互动交流</a></li></ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/xxgk/">政务公开</a> &gt;
<a href="/xxgk/tzgg/">通知公告</a></div>
<div class="main">
<div class="xxgk_table"><table class="gk-info">
<tr><td class="t">索引号：</td><td>{page.index_number or ""}</td>
<td class="t">发布机构：</td><td>{page.source_org or ""}</td></tr>
<tr><td class="t">发文字号：</td><td>{page.doc_number or ""}</td>
<td class="t">主题分类：</td><td>教育</td></tr>
<tr><td class="t">发布日期：</td><td>{page.published or ""}</td>
<td class="t">有效性：</td><td>有效</td></tr>
</table></div>
<div class="article">
<h1 class="article-title">{_heading(page)}</h1>
<div class="article-info">发布时间：{page.published} 来源：{page.source_org}
浏览次数：<span id="hits">1523</span> 【字体：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>】</div>
<div class="TRS_Editor" id="zoom">
{_p(page.paras)}
{_table(page.table)}
</div>
{_attach(page)}
<div class="article-tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</div>
<div class="ewm">扫一扫在手机打开当前页</div>
</div></div>
<div class="footer"><p>主办单位：{page.site} 承办单位：{page.site}办公室</p>
<p>网站标识码：1201160007 津ICP备05012345号-1 津公网安备 12011602000123号</p>
<p>地址：天津市滨海新区第二大街16号 联系电话：022-66896693</p></div>
</body>
</html>
"""


T_GK_WITHOUT = ["当前位置", "浏览次数", "1523", "字体", "打印本页", "关闭窗口", "扫一扫在手机打开当前页",
                "主办单位", "网站标识码", "ICP备", "公网安备", "机构概况", "互动交流", "有效性"]


# --- template 2: old nested-table layout, no classes at all, chrome inside the cell -------
def t_old_table(page: Page) -> str:
    return _head(page) + f"""<body bgcolor="#FFFFFF" topmargin="0">
<table width="980" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td><img src="images/top.jpg" width="980" height="120"></td></tr>
<tr><td bgcolor="#1D5FA6" height="30">
<a href="/">首页</a> | <a href="/list.asp?id=1">教育新闻</a> | <a href="/list.asp?id=2">通知公告</a> |
<a href="/list.asp?id=3">政策法规</a> | <a href="/list.asp?id=4">招生考试</a></td></tr>
</table>
<table width="980" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td width="220" valign="top">
<table width="100%"><tr><td>栏目导航</td></tr>
<tr><td><a href="/list.asp?id=2">通知公告</a></td></tr>
<tr><td><a href="/list.asp?id=3">政策法规</a></td></tr></table></td>
<td width="760" valign="top">
<table width="100%" border="0"><tr><td height="28">您现在的位置：<a href="/">首页</a> &gt;&gt;
<a href="/list.asp?id=2">通知公告</a></td></tr></table>
<table width="96%" border="0" align="center" cellpadding="6">
<tr><td align="center"><font size="4" color="#C00000"><b>{_heading(page)}</b></font></td></tr>
<tr><td align="center">发布时间：{page.published}&nbsp;&nbsp;来源：{page.source_org}&nbsp;&nbsp;点击数：356</td></tr>
<tr><td><hr size="1"></td></tr>
<tr><td class="news_content">
{_p(page.paras, "　　")}
{_table(page.table)}
</td></tr>
<tr><td>上一篇：<a href="/show.asp?id=1201">关于开展2021年秋季学期开学检查的通知</a><br>
下一篇：<a href="/show.asp?id=1203">关于做好国庆假期安全工作的通知</a></td></tr>
</table></td></tr></table>
<table width="980" border="0" align="center"><tr><td align="center" bgcolor="#EEEEEE">
版权所有：{page.site}&nbsp;&nbsp;地址：{page.site}大院&nbsp;&nbsp;联系电话：0311-86012345<br>
备案号：冀ICP备10012345号</td></tr></table>
</body>
</html>
"""


T_OLD_WITHOUT = ["您现在的位置", "点击数", "上一篇", "下一篇", "版权所有", "ICP备", "栏目导航",
                 "国庆假期"]


# --- template 3: <br> layout, body in one cell, (责任编辑:…) glued to the last paragraph ----
def t_br(page: Page) -> str:
    body = "<br>\n".join(f"&nbsp;&nbsp;&nbsp;&nbsp;{x}" for x in page.paras[:-1])
    last = f"&nbsp;&nbsp;&nbsp;&nbsp;{page.paras[-1]} (责任编辑:admin) |"
    return _head(page) + f"""<body>
<div id="top"><a href="/">网站首页</a> <a href="/jyxw/">教育新闻</a> <a href="/tzgg/">通知公告</a></div>
<table width="1000" align="center"><tr>
<td class="biaoti" align="center">{_heading(page)}</td></tr>
<tr><td align="center" class="xx">发布日期：{page.published}　来源：{page.source_org}　点击数：
<script>document.write(88)</script>88　【字体：<a>大</a> <a>中</a> <a>小</a>】</td></tr>
<tr><td class="content">{body}<br>
{last}
</td></tr>
<tr><td>上一条:<br>下一条:</td></tr></table>
<div>主办单位：{page.site}<br>推荐使用IE8及以上版本浏览器浏览<br>网站标识码：1201160007<br>
联系方式：022-66896693</div>
</body>
</html>
"""


T_BR_WITHOUT = ["责任编辑", "admin", "点击数", "字体", "上一条", "下一条", "主办单位", "推荐使用IE8",
                "网站标识码", "联系方式", "网站首页"]


# --- template 4: news portal, breadcrumb, share bar, prev/next inside the article block ----
def t_portal(page: Page) -> str:
    return _head(page, '<meta name="keywords" content="教育,新闻">\n') + f"""<body>
<div class="top_nav"><a href="/">北方网首页</a> | <a href="/news/">新闻</a> | <a href="/edu/">教育</a></div>
<div class="wrap">
<div>您现在的位置:<a href="/">首页</a>&gt;<a href="/edu/">教育</a></div>
<div id="article">
<h1>{_heading(page)}</h1>
<div class="info"><span>{page.published} 09:30</span> <span>来源：{page.source_org}</span>
<span>阅读次数：2,310</span></div>
<div class="bdsharebuttonbox">分享到：<a class="bds_weixin">微信</a><a class="bds_tsina">微博</a></div>
<div id="ctrlfscont">
{_p(page.paras)}
{_table(page.table)}
</div>
<div>下一篇:<a href="/edu/2020-08/21/content_123.htm">抽筋未必都是缺钙“惹的祸”</a></div>
<ul class="statement">
<li>- 凡本网注明"来源:的所有作品,版权均属于本网,转载请必须注明本网。违反者本网将追究相关法律责任。</li>
<li>- 本网转载并注明自其它来源的作品,目的在于传递更多信息,并不代表本网赞同其观点或证实其内容的真实性。</li>
</ul>
</div>
<div class="sidebar"><h3>热点推荐</h3><ul><li><a href="/1">高考志愿填报指南发布</a></li>
<li><a href="/2">暑期安全提示</a></li></ul></div>
</div>
<div class="copyright">Copyright &copy; 2020 北方网 版权所有</div>
</body>
</html>
"""


T_PORTAL_WITHOUT = ["您现在的位置", "阅读次数", "分享到", "下一篇", "抽筋未必", "凡本网注明",
                    "本网转载", "热点推荐", "志愿填报", "版权所有", "北方网首页"]


# --- template 5: broken markup: the header include closes </body></html> early ----------
def t_broken(page: Page) -> str:
    return _head(page) + f"""<body>
<div class="head"><div class="sitename">{page.site}</div>
<div class="menu"><a href="/">首页</a><a href="/zwgk/">政务公开</a><a href="/bsfw/">办事服务</a></div>
</div>
</body>
</html>
<!-- end header include -->
<div class="content">
<div class="title"><h2>{_heading(page)}</h2></div>
<div class="date">发布时间：{page.published}　　信息来源：{page.source_org}</div>
<div class="text">
{_p(page.paras)}
{_table(page.table)}
<p>(责任编辑:张明)</p>
</div>
<div class="btns">【打印本页】【关闭窗口】</div>
</div>
<div class="foot">版权所有：{page.site} 京ICP备12003456号 京公网安备11010502030000号</div>
</body>
</html>
"""


T_BROKEN_WITHOUT = ["办事服务", "责任编辑", "张明", "打印本页", "关闭窗口", "版权所有", "ICP备",
                    "公网安备", "信息来源"]


# --- template 6: notice with 文号, a body table and an attachment list -------------------
def t_notice_table(page: Page) -> str:
    return _head(page) + f"""<body>
<div id="header"><h1 class="site">{page.site}</h1></div>
<div class="breadcrumb">您的位置：首页 &gt; 通知公告</div>
<div class="detail">
<div class="detail-title">{_heading(page)}</div>
<div class="detail-meta">发文日期：{page.published} | 文号：{page.doc_number} | 访问量：77</div>
<div class="detail-body">
<p align="center">{page.doc_number}</p>
{_p(page.paras)}
{_table(page.table)}
</div>
{_attach(page, "附件下载：")}
<div class="pages"><a href="#">上一篇：无</a> <a href="#">下一篇：关于组织开展教师培训的通知</a></div>
</div>
<div id="footer">{page.site} 版权所有 地址：天津市河西区友谊路 邮编：300201</div>
</body>
</html>
"""


T_NOTICE_WITHOUT = ["您的位置", "访问量", "上一篇", "下一篇", "教师培训", "版权所有", "邮编"]


# --- template 7: short notice in a bare layout, <title> is the site name only -----------
def t_short(page: Page) -> str:
    return _head(page) + f"""<body>
<div class="top"><span>{page.site}</span> <a href="/">返回首页</a></div>
<div class="con">
<div class="con_title">{_heading(page)}</div>
<div class="con_info">发布时间：{page.published} 点击量：12</div>
<div class="con_text">
{_p(page.paras)}
</div>
{_attach(page)}
<div>【打印】【关闭】</div>
<div class="share">分享到：</div>
</div>
<div class="bottom">{page.site} 版权所有 技术支持：某某网络科技有限公司</div>
</body>
</html>
"""


T_SHORT_WITHOUT = ["返回首页", "点击量", "【打印】", "【关闭】", "分享到", "版权所有", "技术支持"]

TEMPLATES = {
    "gk": (t_gk, T_GK_WITHOUT),
    "old_table": (t_old_table, T_OLD_WITHOUT),
    "br": (t_br, T_BR_WITHOUT),
    "portal": (t_portal, T_PORTAL_WITHOUT),
    "broken": (t_broken, T_BROKEN_WITHOUT),
    "notice_table": (t_notice_table, T_NOTICE_WITHOUT),
    "short": (t_short, T_SHORT_WITHOUT),
}

BH = "http://jy.tjbh.gov.cn"
SCHOOLS = [
    ["序号", "学校名称", "所属街镇", "招生计划（人）"],
    ["1", "滨海新区塘沽第一中学", "新港街", "480"],
    ["2", "滨海新区汉沽第五中学", "寨上街", "320"],
    ["3", "滨海新区大港第三中学", "海滨街", "360"],
    ["4", "天津经济技术开发区第一中学", "泰达街", "400"],
]
EXPERTS = [
    ["姓名", "单位", "学科"],
    ["王䶮", "滨海新区教育体育局教研室", "初中数学"],
    ["李明华", "天津市塘沽第一中学", "高中物理"],
    ["陈静", "滨海新区实验小学", "小学语文"],
]

PAGES = [
    Page("p01_gk_utf8", "gk", "utf-8", "utf-8", "text/html; charset=utf-8",
         f"{BH}/xxgk/tzgg/202202/t20220225_5811234.html",
         "关于印发《滨海新区2022年教育体育工作要点》的通知", S002[2:14],
         title_lines=["关于印发《滨海新区2022年教育体育", "工作要点》的通知"],
         published="2022-02-25", doc_number="津滨教体〔2022〕12号",
         source_org="天津市滨海新区教育体育局", index_number="11120116MB1D5321X5/2022-00012",
         attachments=[("滨海新区2022年教育体育工作要点.pdf", "./P020220225521234.pdf",
                       f"{BH}/xxgk/tzgg/202202/P020220225521234.pdf"),
                      ("任务分解表.docx", "/uploads/2022/rwfjb.docx", f"{BH}/uploads/2022/rwfjb.docx")]),
    Page("p02_gk_gb2312", "gk", "gb2312", "gb2312", "text/html",
         "http://jyj.baotou.gov.cn/xxgk/202303/t20230310_123.html",
         "包头市教育局关于推动教育高质量发展的工作报告", S004[0:4],
         site="包头市教育局", published="2023-03-10", source_org="包头市教育局",
         index_number="115002000116785123/2023-00031"),
    Page("p03_gk_big5", "gk", "big5", "big5", "text/html; charset=big5",
         "http://jw.bjdch.gov.cn/xxgk/202311/t20231120_88.html",
         "以首善標準推動東城教育高質量發展", S003[0:8], site="北京市東城區教育委員會",
         published="2023-11-20", source_org="北京市東城區教育委員會",
         index_number="000014349/2023-00088", traditional=True),
    Page("p04_gk_gbk", "gk", "gbk", "gbk", "text/html; charset=GBK",
         "http://jyj.hexi.gov.cn/xxgk/202304/t20230412_2001.html",
         "关于做好2023年义务教育招生入学工作的通知",
         ["各中小学校：",
          "为做好2023年义务教育招生入学工作，保障适龄儿童少年依法接受义务教育，现将有关事项通知如下。",
          "一、坚持免试就近入学原则，公办学校不得以任何形式举行或变相举行与入学挂钩的考试。",
          "二、严格执行招生计划，各校不得超计划招生，不得跨区域招生。",
          "三、做好特殊群体入学保障，进城务工人员随迁子女按照相关规定办理入学手续。",
          "联系电话：022-28123456",
          "河西区教育局",
          "2023年4月12日"],
         site="天津市河西区教育局", published="2023-04-12", doc_number="河西教〔2023〕5号",
         source_org="天津市河西区教育局", index_number="HX-JY/2023-00045"),
    Page("p05_old_gb2312", "old_table", "gb2312", "gb2312", "text/html",
         "http://www.hpedu.gov.cn/show.asp?id=1202",
         "党建引领 和平区建设高品质现代化教育强区", S000[3:13], site="和平区教育信息网",
         title_tag="和平区教育信息网", published="2021-09-01", source_org="和平区教育局"),
    Page("p06_old_gbk", "old_table", "gbk", "gbk", "text/html; charset=gbk",
         "http://www.bhedu.cn/show.asp?id=77",
         "滨海新区深入推进职业教育创优赋能", S002[26:35], site="滨海教育网",
         published="2022-03-08", source_org="滨海新区教育体育局"),
    Page("p07_old_big5", "old_table", "big5", "big5", "text/html",
         "http://www.dcedu.org/show.asp?id=301",
         "聚焦三個關鍵 扎實推進特色高質量教育體系建設", S003[13:20], site="東城教育網",
         title_tag="東城教育網", published="2023-12-01", source_org="東城區教委", traditional=True),
    Page("p08_old_utf8", "old_table", "utf-8", "utf-8", "text/html",
         "http://www.nmgedu.cn/show.asp?id=5",
         "市教育局推进教育信息化建设", S004[5:7], site="内蒙古教育网",
         published="2023-05-06", source_org="市教育局"),
    Page("p09_br_gbk", "br", "gbk", "gbk", "text/html",
         "http://www.qhzq.gov.cn/jy/2017/0612/101.html",
         "城中区教育事业呈现良好发展态势", S001[0:6], site="城中区教育局",
         published="2017-06-12", source_org="青海新闻网"),
    Page("p10_br_gb18030", "br", "gb18030", "gb18030", "text/html; charset=gb18030",
         "http://www.bhedu.gov.cn/jy/2022/0301/55.html",
         "滨海新区加强教师队伍建设", [*S002[31:35], "王䶮老师等12名教师获评区级骨干教师。"],
         site="滨海新区教育体育局", published="2022-03-01", source_org="滨海新区教育体育局"),
    Page("p11_br_big5", "br", "big5", "big5", "text/html; charset=big5",
         "http://www.dcedu.gov.tw/jy/2023/1201/9.html",
         "東城區全面提升隊伍質量", S003[20:26], site="東城區教育委員會",
         published="2023-12-01", source_org="東城區教育委員會", traditional=True),
    Page("p12_portal_utf8", "portal", "utf-8", "utf-8", "text/html; charset=utf-8",
         "http://news.enorth.com.cn/system/2020/08/20/050123456.shtml",
         "党建引领 和平区建设高品质现代化教育强区", S000[13:27], site="北方网",
         published="2020-08-20", source_org="天津北方网"),
    Page("p13_portal_gb2312", "portal", "gb2312", "gb2312", "text/html",
         "http://edu.example-news.cn/2023/0315/88.shtml",
         "市教育局以有解思维破解教育发展瓶颈", S004[1:3], site="北方网",
         title_tag="北方网", published="2023-03-15", source_org="内蒙古日报"),
    Page("p14_portal_big5", "portal", "big5", "big5", "text/html",
         "http://edu.example-news.hk/2020/0820/77.shtml",
         "聚焦改革創新 高質量發展謀新篇", S000[29:33], site="北方網",
         published="2020-08-20", source_org="天津北方網", traditional=True),
    Page("p15_broken_utf8", "broken", "utf-8", None, "text/html; charset=UTF-8",
         "http://jw.beijing.gov.cn/xxgk/2022/0310/t20220310_991.html",
         "滨海新区持续打好“双减”攻坚战", S002[19:21] + S002[36:39],
         site="某区教育委员会", published="2022-03-10", source_org="某区教育委员会"),
    Page("p16_broken_gbk", "broken", "gbk", None, "text/html; charset=gbk",
         "http://www.qhedu.gov.cn/news/2017/0601/12.html",
         "中区教育系统全面加强党的领导", S001[6:12], site="中区教育局",
         published="2017-06-01", source_org="中区教育局"),
    Page("p17_notice_gb18030", "notice_table", "gb18030", "gb18030", "text/html",
         f"{BH}/tzgg/202206/t20220610_6001.html",
         "关于公布2022年滨海新区普通高中招生计划的通知",
         ["各普通高中学校：",
          "根据天津市2022年高中阶段学校招生工作的有关要求，经研究，现将2022年滨海新区普通高中招生计划予以公布。",
          "各校要严格按照公布的计划招生，不得擅自调整。"],
         published="2022-06-10", doc_number="津滨教体〔2022〕45号",
         attachments=[("1.2022年普通高中招生计划汇总表.xlsx", "/uploads/2022/zsjh.xlsx",
                       f"{BH}/uploads/2022/zsjh.xlsx"),
                      ("2.招生咨询电话一览表.xls", "zxdh.xls", f"{BH}/tzgg/202206/zxdh.xls"),
                      ("3.招生简章.wps", "zsjz.wps", f"{BH}/tzgg/202206/zsjz.wps")],
         table=SCHOOLS),
    Page("p18_notice_utf8", "notice_table", "utf-8", "utf-8", "text/html",
         f"{BH}/tzgg/202209/t20220905_7001.html",
         "关于公布滨海新区第三批学科骨干教师名单的通知",
         ["各中小学校：",
          "经个人申报、学校推荐、专家评审和公示，确定以下教师为滨海新区第三批学科骨干教师，现予公布。"],
         published="2022-09-05", doc_number="津滨教体〔2022〕88号", table=EXPERTS),
    Page("p19_short_gb2312", "short", "gb2312", "gb2312", "text/html",
         "http://jyj.xiqing.gov.cn/tzgg/2024/0105/3.html",
         "关于2024年元旦假期安全工作的提示",
         ["各学校要在放假前开展一次安全教育，提醒学生注意交通、防火和防溺水安全。",
          "假期期间各单位须严格落实值班制度，遇有突发情况及时报告。"],
         site="西青区教育局", title_tag="西青区教育局", published="2024-01-05"),
    Page("p20_short_big5", "short", "big5", "big5", "text/html; charset=big5",
         "http://www.edu.example.tw/news/2024/0110/4.html",
         "關於寒假期間校園開放時間的公告",
         ["寒假期間校園開放時間為每日上午八時至下午五時。",
          "如需使用體育場館，請提前三日向總務處申請。"],
         site="東城區教育委員會", title_tag="東城區教育委員會", published="2024-01-10",
         traditional=True),
    Page("p21_short_utf8", "short", "utf-8", "utf-8", "text/html; charset=utf-8",
         "http://jyj.jinnan.gov.cn/tzgg/2024/0301/t20240301_12.html",
         "关于报送2024年春季学期开学工作总结的通知",
         ["请各学校于3月15日前将开学工作总结报送至局办公室。",
          "材料模板见附件。"],
         site="津南区教育局", published="2024-03-01",
         attachments=[("开学工作总结模板.doc", "/uploads/kxzj.doc",
                       "http://jyj.jinnan.gov.cn/uploads/kxzj.doc")]),
]


def _trad(text: str) -> str:
    return _S2T.convert(text)


def build(page: Page) -> tuple[bytes, dict[str, object]]:
    """Render one page to bytes in its encoding, and its gold record."""
    render, without = TEMPLATES[page.template]
    html = render(page)
    gold_text = "\n".join(
        [*page.paras, *(" ".join(row) for row in page.table)]
    ) if page.template != "notice_table" else "\n".join(
        [page.doc_number or "", *page.paras, *(" ".join(row) for row in page.table)]).strip()
    title, source = page.title, page.source_org
    attachments = [{"name": n, "url": u} for n, _, u in page.attachments]
    if page.traditional:
        html, gold_text, title = _trad(html), _trad(gold_text), _trad(title)
        without = [_trad(w) for w in without]
        source = _trad(source) if source else None
    try:
        data = html.encode(page.encoding)  # strict: a page must be exactly representable
    except UnicodeEncodeError:
        # Real "GB2312" pages carry GBK-only characters (— in the seed text): keep the label,
        # write GBK bytes, exactly the case that makes decoders use the GB18030 superset.
        assert page.encoding == "gb2312", page.id
        data = html.encode("gbk")
    decoder = {"big5": "big5hkscs"}.get(page.encoding, "gb18030")
    if page.encoding != "utf-8":  # gold is what the published bytes say
        gold_text = gold_text.encode(page.encoding if page.encoding != "gb2312" else "gbk") \
            .decode(decoder)
    for w in without:
        assert w in html, (page.id, w)
        assert w not in gold_text, (page.id, w)
    return data, {
        "file": f"pages/{page.id}.html",
        "url": page.url,
        "content_type": page.content_type,
        "encoding": page.encoding,
        "template": page.template,
        "title": title,
        "text": gold_text,
        "published": page.published,
        "doc_number": page.doc_number,
        "source_org": source,
        "index_number": page.index_number,
        "attachments": attachments,
        "without": without,
    }


def main() -> None:
    """Write every page and its gold JSON next to it."""
    (HERE / "pages").mkdir(exist_ok=True)
    for page in PAGES:
        data, gold = build(page)
        (HERE / "pages" / f"{page.id}.html").write_bytes(data)
        (HERE / "pages" / f"{page.id}.json").write_text(
            json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
