"""Write gold JSON for the saved real pages in ../shared/eval-real-pages (not copied here).

Each body was read by hand from the page: the article container's paragraphs, verbatim,
with the decisions below written out per page (which heading/byline/credit lines are not
body). Run by hand once; the JSON files under real/ are what the benchmark and tests read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from lxml import etree, html

HERE = Path(__file__).parent
REAL = HERE.parents[2] / ".." / "shared" / "eval-real-pages"

# file: (codec, article container xpath, title, published, lines to drop, chrome that must not
# appear). Titles are the article's own heading; dropped lines are headings repeated inside
# the container and editor credits.
PAGES = {
    "real_banyuetan_yiyang.html": (
        "utf-8", '//div[@id="detail_content"]', "益阳：“数字”是优长", "2020-01-02", [],
        ["联系我们", "2020-01-02 17:11", "来源：半月谈网", "学习贯彻十九大精神"]),
    "real_cjn_wuhan.html": (
        "utf-8", '//div[@class="TRS_Editor"]', "外媒眼中的武汉长假：蓬勃发展，欢声笑语",
        "2020-10-04",
        ["【编辑：姚昊】"], ["您的当前位置", "网站地图", "【编辑：姚昊】", "相关阅读"]),
    "real_cmse_pressconf.html": (
        "utf-8", '//div[@id="content"]', "天宫一号与神舟九号载人交会对接任务第二场新闻发布会",
        "2012-06-24", [], ["发布日期", "字号", "系统管理员", "友情链接", "版权所有", "分享到",
                           "备案序号"]),
    "real_govcn_gongbao.html": (
        "utf-8", '//div[@id="UCAP-CONTENT"]',
        "全国人民代表大会常务委员会关于批准财政部发行特别国债购买外汇及调整2007年末国债余额限额的决议",
        "2007-08-20", ["全国人民代表大会常务委员会", "关于批准财政部发行特别国债购买外汇及",
               "调整2007年末国债余额限额的决议"],
        ["扫一扫在手机打开当前页", "相关稿件", "主办单位", "国务院公报", "超大"]),
    "real_hebei_xinhua_gb2312.html": (
        "gb18030", None, "话剧《约定无期限》河北各市巡演结束", "2012-06-04", [],
        ["2012-06-04 09:20:26", "【关闭窗口】", "作者："]),
    "real_kepu_gov.html": (
        "utf-8", '//div[@id="content"]', "习近平主持召开深入推进长三角一体化发展座谈会",
        "2023-12-01",
        ["习近平主持召开深入推进长三角一体化发展座谈会强调", "推动长三角一体化发展取得新的重大突破",
         "在中国式现代化中更好发挥引领示范作用", "李强蔡奇出席"],
        ["来源：新华社", "2023-12-01 14:43", "编辑：毛梦囡"]),
    "real_people_health.html": (
        "utf-8", '//div[@class="artDet"]', "关注青少年心理健康“心成长”服务项目启动",
        "2024-05-17", [], ["2024年05月17日08:59", "(责编：郝帅、杨迪)", "人民网版权所有"]),
    "real_shanxi_gov.html": (
        "utf-8", '//div[@class="TRS_Editor"]', "山西品牌丝路行（南美站）正式启动", "2019-09-18",
        [], ["扫一扫在手机打开当前页面", "山西省人民政府门户网站"]),
    "real_sxmu_jijian.html": (
        "utf-8", '//div[@id="vsb_content"]', "中华人民共和国监察法", "2018-05-17",
        ["中华人民共和国监察法"], ["浏览次数", "2168", "添加收藏夹", "主办单位", "版权所有",
                                 "纪检监察室"]),
    "real_youth_yanglao.html": (
        "utf-8", '//div[@class="TRS_Editor"]',
        "我国首届养老专业本科生迎来毕业季 “银发浪潮”到来，年轻人可大展拳脚", "2024-05-13", [],
        ["责任编辑：杨逸凡", "上一页"]),
    "real_zj_fgw_deqing.html": (
        "utf-8", '//div[@id="zoom"]', "1-10月德清县固定资产投资结构趋稳趋优", "2016-11-22", [],
        ["当前位置", "发布日期", "浏览次数"]),
    "real_zsnews_dongqu.html": (
        "utf-8", None, "顺德区大良街道党工委委员潘卓辉一行到众创金融街开展调研工作",
        "2019-03-06", [],
        ["现在位置", "来源于", "责任编辑", "龙慧", "【打印本页】", "【关闭窗口】"]),
}
# Pages whose body cell has no id/class: the cell holding the first body sentence.
ANCHORS = {
    "real_hebei_xinhua_gb2312.html": "一个约定，信守15年",
    "real_zsnews_dongqu.html": "2019年2月27日下午",
}
_WS = re.compile(r"\s+")
_BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "ul", "center"}


def _lines(node: html.HtmlElement) -> list[str]:
    parts: list[str] = []
    for event, el in etree.iterwalk(node, events=("start", "end")):
        if event == "start":
            if el.tag in _BLOCK:
                parts.append("\n")
            if el.text:
                parts.append(el.text)
        else:
            if el.tag in _BLOCK:
                parts.append("\n")
            if el.tail and el is not node:
                parts.append(el.tail)
    lines = (_WS.sub(" ", ln.replace("\xa0", " ")).strip() for ln in "".join(parts).split("\n"))
    return [ln for ln in lines if ln]


def main() -> None:
    """Write real/<page>.json for every page present."""
    out = HERE / "real"
    out.mkdir(exist_ok=True)
    for name, (codec, xpath, title, published, drop, without) in PAGES.items():
        path = REAL / name
        if not path.exists():
            continue
        tree = html.document_fromstring(
            re.sub(r"</(?:html|body)>", "", path.read_bytes().decode(codec)))
        etree.strip_elements(tree, "script", "style", etree.Comment, with_tail=False)
        if xpath:
            node = tree.xpath(xpath)[0]
        else:
            anchor = ANCHORS[name]
            node = next(td for td in tree.iter("td")
                        if anchor in "".join(td.itertext())
                        and not any(anchor in "".join(c.itertext()) for c in td.iter("td")
                                    if c is not td))
        lines = [ln for ln in _lines(node) if ln not in drop]
        gold = {"file": name, "url": None, "content_type": None, "title": title,
                "text": "\n".join(lines), "published": published, "without": without}
        (out / name.replace(".html", ".json")).write_text(
            json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
