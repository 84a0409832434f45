"""Writes the hold-out extraction pages: five templates the extractor was NOT tuned on.

Written by a different hand than the main gold set, after the extractor was finished, to
measure generalisation honestly. The gold body is the text each page is built from.
Run from anywhere: python tests/gold/extract/holdout/make_holdout.py
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _p(lines: list[str]) -> str:
    return "".join(f"<p>{line}</p>" for line in lines)


def pages() -> list[dict]:
    out = []
    # 1. A county portal's "zoom" article template, UTF-8, chrome inside the article block.
    b1 = [
        "各镇（街道）中心学校，区直各学校：",
        "为进一步规范校外培训行为，切实减轻学生过重课外负担，经研究，决定在全区开展2023年暑期"
        "校外培训专项治理行动。现将有关事项通知如下。",
        "一、治理时间。2023年7月10日至8月31日。",
        "二、治理重点。重点查处无证无照、违规开展学科类培训、以“一对一”“家政服务”等名义变相"
        "开展学科类培训等行为。",
        "三、工作要求。各学校要通过家长会、致家长的一封信等形式，引导家长理性选择校外培训，"
        "全区共组织检查组12个，覆盖全部32所中小学。",
        "某某区教育局",
        "2023年7月5日",
    ]
    t1 = "关于开展2023年暑期校外培训专项治理行动的通知"
    h1 = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{t1} - 某某区人民政府</title>
<meta name="ArticleTitle" content="{t1}"></head><body>
<div id="top"><a href="/">网站首页</a>|<a href="/zwgk/">政务公开</a>|<a href="/hdjl/">互动交流</a></div>
<div class="location">当前位置：<a href="/">首页</a> &gt;&gt; <a href="/zwgk/">政务公开</a> &gt;&gt; 通知公告</div>
<div class="article"><div class="art-tit">{t1}</div>
<div class="art-info">信息来源：区教育局　　发布日期：2023-07-05　　访问量：<span id="hits">2371</span>
　　【字号：<a>大</a> <a>中</a> <a>小</a>】</div>
<div id="zoom">{_p(b1)}</div>
<div class="art-bottom">【<a href="javascript:window.print()">打印</a>】【<a href="javascript:window.close()">关闭</a>】
　分享：<a>微信</a><a>微博</a></div>
<div class="pre-next"><p>上一篇：<a href="/a/1.html">关于做好2023年中考录取工作的通知</a></p>
<p>下一篇：<a href="/a/3.html">区教育局召开安全工作会议</a></p></div></div>
<div id="footer"><p>主办：某某区人民政府办公室　承办：某某区大数据中心</p>
<p>网站标识码：3301090001　浙ICP备12004567号-1　浙公网安备 33010902000123号</p>
<p>地址：某某区人民路1号　联系电话：0571-88888888</p></div></body></html>"""
    out.append(dict(name="h1_zoom_utf8", raw=h1.encode("utf-8"), ctype="text/html; charset=utf-8",
                    enc="utf-8", title=t1, body=b1, published="2023-07-05", doc_number=None,
                    source_org="区教育局", index_number=None,
                    without=["当前位置", "访问量", "2371", "字号", "打印", "关闭", "分享", "上一篇",
                             "下一篇", "主办", "网站标识码", "ICP备", "公网安备", "联系电话",
                             "网站首页"]))

    # 2. Old nested-table layout, GBK declared only in a meta tag, <br> body, 文号 first line.
    b2 = [
        "海教发〔2021〕18号",
        "各中小学、幼儿园：",
        "根据《海东市中小学校舍安全管理办法》，结合我县实际，现就做好2021年度校舍安全排查工作"
        "通知如下：",
        "一、全面排查。各校要对所有校舍逐栋排查，建立“一校一档”，排查覆盖率达到100%。",
        "二、限期整改。对排查发现的C级、D级危房，要立即停止使用，并于10月底前制定整改方案。",
        "三、按时报送。请各校于9月30日前将排查结果报县教育局基建股。",
    ]
    t2 = "关于做好2021年度校舍安全排查工作的通知"
    body2 = "<br>".join(f"&nbsp;&nbsp;&nbsp;&nbsp;{line}" for line in b2)
    h2 = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>某县教育局</title></head><body>
<table width="100%"><tr><td><img src="/img/banner.jpg"></td></tr>
<tr><td class="nav"><a href="/">首页</a> | <a href="/news/">教育新闻</a> | <a href="/tzgg/">通知公告</a></td></tr></table>
<table width="980" align="center"><tr><td width="200" valign="top"><table>
<tr><td>栏目导航</td></tr><tr><td><a href="/tzgg/">通知公告</a></td></tr><tr><td><a href="/zcfg/">政策法规</a></td></tr>
</table></td><td valign="top"><table width="100%">
<tr><td>您现在的位置：首页 &gt; 通知公告 &gt; 正文</td></tr>
<tr><td align="center"><font size="4"><b>{t2}</b></font></td></tr>
<tr><td align="center"><font color="#666">作者：基建股　来源：县教育局　点击数：488　更新时间：2021-9-3</font></td></tr>
<tr><td class="content">{body2}</td></tr>
<tr><td>【<a href="#">收藏</a>】【<a href="#" onclick="window.print()">打印</a>】【<a href="#">关闭</a>】</td></tr>
<tr><td>上一条：<a href="/tzgg/100.html">关于开展教师资格认定工作的通知</a><br>下一条：没有了</td></tr>
</table></td></tr></table>
<table width="100%"><tr><td align="center">版权所有：某县教育局　技术支持：某某网络<br>青ICP备09000123号</td></tr></table>
</body></html>"""
    out.append(dict(name="h2_table_gbk", raw=h2.encode("gbk"), ctype="text/html", enc="gbk",
                    title=t2, body=b2, published="2021-09-03", doc_number="海教发〔2021〕18号",
                    source_org="县教育局", index_number=None,
                    without=["您现在的位置", "点击数", "488", "收藏", "打印", "关闭", "上一条",
                             "下一条", "版权所有", "ICP备", "栏目导航", "技术支持"]))

    # 3. Big5, traditional script, Taiwan-style chrome words (上一則/下一則, 列印, 瀏覽人次).
    b3 = [
        "為落實十二年國民基本教育，本局訂定「112學年度國民中學技藝教育課程實施計畫」，重點如下：",
        "一、開設職群：本學年度開設機械、電機與電子、餐旅等8個職群，預計招收學生1,200名。",
        "二、師資安排：由合作高職指派專業教師授課，每週上課3節。",
        "三、經費補助：每班補助新臺幣6萬元，由本局編列預算支應。",
        "請各校依計畫辦理，並於9月15日前函報開班情形。",
    ]
    t3 = "112學年度國民中學技藝教育課程實施計畫"
    h3 = f"""<html><head><meta charset="big5"><title>{t3}｜某某市政府教育局</title></head><body>
<header><nav><a href="/">首頁</a><a href="/news">最新消息</a><a href="/law">法規</a></nav></header>
<div class="breadcrumb">目前位置：首頁 &gt; 最新消息 &gt; 公告</div>
<main><h2 class="title">{t3}</h2>
<ul class="meta"><li>發布單位：中等教育科</li><li>發布日期：2023-08-21</li><li>瀏覽人次：1,045</li></ul>
<section class="editor">{_p(b3)}</section>
<div class="tools"><a>列印</a> <a>友善列印</a> <a>回上一頁</a> 分享到：<a>Facebook</a> <a>LINE</a></div>
<div class="pager"><a href="/n/1">上一則：教師甄選簡章</a> <a href="/n/3">下一則：防災演練</a></div></main>
<footer>地址：某某市中正路100號　電話：(04)2222-0000　版權所有 某某市政府教育局　最佳瀏覽解析度1024x768</footer>
</body></html>"""
    out.append(dict(name="h3_big5_trad", raw=h3.encode("big5"), ctype="text/html", enc="big5",
                    title=t3, body=b3, published="2023-08-21", doc_number=None,
                    source_org="中等教育科", index_number=None,
                    without=["目前位置", "瀏覽人次", "列印", "友善列印", "上一則", "下一則",
                             "版權所有", "分享到", "回上一頁", "最佳瀏覽"]))

    # 4. 信息公开 metadata table, a data table in the body, GB2312 declared in the header.
    b4_first = "为做好2023年义务教育学校招生工作，现将各学校招生计划公布如下："
    b4_last = "各校不得超计划招生，班额不得超过45人。"
    rows = [("学校", "招生班数", "招生人数"), ("第一小学", "6", "270"), ("第二小学", "4", "180"),
            ("实验中学", "8", "400")]
    table = "<table border=1>" + "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows) + "</table>"
    b4 = [b4_first, *[" ".join(r) for r in rows], b4_last]
    t4 = "某县2023年义务教育学校招生计划"
    h4 = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{t4}_某县人民政府</title></head><body>
<div class="head">某县人民政府门户网站</div>
<div class="crumb">您所在的位置：首页 &gt; 信息公开 &gt; 法定主动公开内容</div>
<table class="xxgk"><tr><td>索引号：</td><td>11330000MB0000001X/2023-00412</td><td>发布机构：</td><td>县教育局</td></tr>
<tr><td>文号：</td><td>县教〔2023〕9号</td><td>成文日期：</td><td>2023-05-18</td></tr>
<tr><td>名称：</td><td colspan=3>{t4}</td></tr></table>
<h1>{t4}</h1>
<div class="TRS_Editor"><p>{b4_first}</p>{table}<p>{b4_last}</p></div>
<div class="bottom-tools">扫一扫在手机打开当前页　【打印本页】【关闭窗口】</div>
<div class="footer">主办单位：某县人民政府办公室　网站标识码：3310210001　浙ICP备05000001号</div>
</body></html>"""
    out.append(dict(name="h4_gk_table_gb2312", raw=h4.encode("gb2312"),
                    ctype="text/html; charset=gb2312", enc="gb2312", title=t4, body=b4,
                    published="2023-05-18", doc_number="县教〔2023〕9号", source_org="县教育局",
                    index_number="11330000MB0000001X/2023-00412",
                    without=["您所在的位置", "索引号", "扫一扫", "打印本页", "关闭窗口", "主办单位",
                             "网站标识码", "ICP备", "门户网站"]))

    # 5. A two-sentence notice with no charset anywhere, (责任编辑：…) and 相关链接.
    b5 = ["因供电线路检修，区教育局网上办事大厅将于2023年11月18日8:00至18:00暂停服务。",
          "由此带来的不便，敬请谅解。"]
    t5 = "关于网上办事大厅暂停服务的公告"
    h5 = f"""<html><head><title>{t5}</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/gg/">公告</a></div>
<h3>{t5}</h3><p class="date">2023-11-16 09:30:00</p>
<div class="txt">{_p(b5)}<p>（责任编辑：王敏）</p></div>
<div class="related">相关链接：<a href="/gg/1">关于调整办公时间的公告</a> <a href="/gg/2">放假通知</a></div>
<div class="foot">Copyright © 2023 某区教育局 All Rights Reserved 备案号：粤ICP备10000000号</div>
</body></html>"""
    out.append(dict(name="h5_short_undeclared", raw=h5.encode("utf-8"), ctype="text/html",
                    enc="utf-8", title=t5, body=b5, published="2023-11-16", doc_number=None,
                    source_org=None, index_number=None,
                    without=["责任编辑", "相关链接", "放假通知", "Copyright", "ICP备"]))
    return out


def main() -> None:
    for p in pages():
        (HERE / f"{p['name']}.html").write_bytes(p["raw"])
        gold = {
            "file": f"holdout/{p['name']}.html",
            "url": f"http://www.example.gov.cn/{p['name']}.html",
            "content_type": p["ctype"], "encoding": p["enc"], "template": "holdout",
            "title": p["title"], "text": "\n".join(p["body"]), "published": p["published"],
            "doc_number": p["doc_number"], "source_org": p["source_org"],
            "index_number": p["index_number"], "attachments": [], "without": p["without"],
        }
        (HERE / f"{p['name']}.json").write_text(
            json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
