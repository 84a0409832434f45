"""Writes the blind extraction pages: measured once, never tuned on.

The first hold-out (../holdout) was used to fix the extractor, so it no longer measures
generalisation. These three pages were written afterwards, by a hand other than the
extractor's, in layouts the gold sets do not have (a <dl> metadata block, a GB18030 page of
<span>-fragmented paragraphs, an attachment list with numbered 附件 lines). Their figures are
reported separately; floors for them are pinned at what was first measured.
Run: python tests/gold/extract/blind/make_blind.py
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def pages() -> list[dict]:
    out = []
    # 1. Metadata as a definition list, body in <div class="main-txt">, UTF-8.
    t1 = "关于印发《某市中小学课后服务管理办法》的通知"
    b1 = [
        "各区教育局，市直属学校：",
        "现将《某市中小学课后服务管理办法》印发给你们，请认真贯彻执行。",
        "课后服务原则上每周5天，每天不少于2小时，结束时间原则上不早于当地正常下班时间。",
        "各校要建立课后服务经费保障机制，确保课后服务可持续开展。",
        "某市教育局",
        "2023年3月1日",
    ]
    body1 = "".join(f"<p>{line}</p>" for line in b1)
    h1 = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{t1}-某市教育局</title></head>
<body><div class="top"><a href="/">首页</a><a href="/xxgk/">信息公开</a><a href="/bsfw/">办事服务</a></div>
<div class="pos">当前位置：首页 &gt; 信息公开 &gt; 政策文件</div>
<dl class="xxgk-info"><dt>索引号：</dt><dd>113300000025123456/2023-00088</dd>
<dt>发布机构：</dt><dd>某市教育局</dd><dt>文号：</dt><dd>某教发〔2023〕6号</dd>
<dt>发布日期：</dt><dd>2023-03-02</dd><dt>主题分类：</dt><dd>教育</dd></dl>
<h1 class="main-tit">{t1}</h1>
<div class="main-txt">{body1}</div>
<div class="tool">【<a>打印本页</a>】【<a>关闭窗口</a>】 浏览次数：3306</div>
<div class="foot">主办单位：某市教育局　网站标识码：3302000031　浙ICP备10000031号</div></body></html>"""
    out.append(
        dict(
            name="b1_dl_meta_utf8",
            raw=h1.encode("utf-8"),
            ctype="text/html; charset=utf-8",
            enc="utf-8",
            title=t1,
            body=b1,
            published="2023-03-02",
            doc_number="某教发〔2023〕6号",
            source_org="某市教育局",
            index_number="113300000025123456/2023-00088",
            without=[
                "当前位置",
                "索引号",
                "主题分类",
                "打印本页",
                "关闭窗口",
                "浏览次数",
                "主办单位",
                "网站标识码",
                "ICP备",
                "办事服务",
            ],
        )
    )

    # 2. GB18030, paragraphs fragmented into <span>s by a rich-text editor, <strong> headings.
    t2 = "区教育局2023年工作总结"
    b2 = [
        "2023年，区教育局坚持以人民为中心的发展思想，推动全区教育事业高质量发展。",
        "一、办学条件持续改善",
        "新建、改扩建学校6所，新增学位5400个，完成18所学校校园安全技防升级改造。",
        "二、教育质量稳步提升",
        "全区中考平均分较上年提高3.2分，普通高中录取率达到62%，比上年提高2个百分点。",
        "三、教师队伍建设不断加强",
        "招聘教师286名，培养区级骨干教师120名，开展教师全员培训4万余学时。",
    ]

    def frag(line: str) -> str:
        mid = len(line) // 2
        return (
            f'<p style="text-indent:2em"><span style="font-family:仿宋">{line[:mid]}</span>'
            f'<span style="font-family:仿宋">{line[mid:]}</span></p>'
        )

    body2 = "".join(
        f"<p><strong>{line}</strong></p>" if line[1] == "、" else frag(line) for line in b2
    )
    h2 = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb18030">
<title>{t2}</title></head><body>
<div id="header">某区教育局<ul><li>首页</li><li>教育动态</li><li>通知公告</li></ul></div>
<div class="crumbs">首页 &gt; 教育动态 &gt; 正文</div>
<div class="article"><h2>{t2}</h2>
<div class="sub">时间：2024-01-08　来源：区教育局办公室　阅读次数：512</div>
<div class="article-content">{body2}</div>
<div class="share">分享到：微信 微博 QQ空间</div></div>
<div id="links">友情链接：<a>市教育局</a> <a>省教育厅</a></div>
<div id="copyright">版权所有：某区教育局　地址：某区文化路8号　邮编：300000</div></body></html>"""
    out.append(
        dict(
            name="b2_spans_gb18030",
            raw=h2.encode("gb18030"),
            ctype="text/html",
            enc="gb18030",
            title=t2,
            body=b2,
            published="2024-01-08",
            doc_number=None,
            source_org="区教育局办公室",
            index_number=None,
            without=["阅读次数", "分享到", "友情链接", "版权所有", "邮编", "教育动态"],
        )
    )

    # 3. Notice with a numbered attachment list after the body, UTF-8.
    t3 = "关于公布2023年度市级优秀教学成果奖评审结果的通知"
    b3 = [
        "各区教育局，各直属学校：",
        "经学校申报、区级推荐、专家评审和网上公示，共评出市级优秀教学成果奖特等奖5项、一等奖20项、二等奖40项，现予公布。",
        "希望获奖单位和个人再接再厉，持续深化教育教学改革。",
    ]
    body3 = "".join(f"<p>{line}</p>" for line in b3)
    h3 = f"""<html><head><meta charset="utf-8"><title>{t3}</title></head><body>
<div class="nav">首页 | 通知公告 | 政策法规</div>
<div class="wz">您的位置：<a>首页</a> &gt; <a>通知公告</a></div>
<div class="con"><div class="tit">{t3}</div>
<div class="date">发布时间：2023-12-15 10:20　点击：1088</div>
<div class="txt">{body3}
<p>附件：</p>
<p><a href="/files/2023/jxcg_tdj.pdf">1.2023年度市级优秀教学成果奖特等奖名单.pdf</a></p>
<p><a href="/files/2023/jxcg_ydj.docx">2.2023年度市级优秀教学成果奖一、二等奖名单.docx</a></p>
</div></div>
<div class="bottom">Copyright 某市教育局 版权所有 备案号：苏ICP备05000555号</div></body></html>"""
    out.append(
        dict(
            name="b3_attachments_utf8",
            raw=h3.encode("utf-8"),
            ctype="text/html; charset=utf-8",
            enc="utf-8",
            title=t3,
            body=b3,
            published="2023-12-15",
            doc_number=None,
            source_org=None,
            index_number=None,
            attachments=[
                {
                    "name": "1.2023年度市级优秀教学成果奖特等奖名单.pdf",
                    "url": "http://www.example.gov.cn/files/2023/jxcg_tdj.pdf",
                },
                {
                    "name": "2.2023年度市级优秀教学成果奖一、二等奖名单.docx",
                    "url": "http://www.example.gov.cn/files/2023/jxcg_ydj.docx",
                },
            ],
            without=["您的位置", "点击", "1088", "Copyright", "版权所有", "ICP备", "政策法规"],
        )
    )
    return out


def main() -> None:
    for p in pages():
        (HERE / f"{p['name']}.html").write_bytes(p["raw"])
        gold = {
            "file": f"blind/{p['name']}.html",
            "url": f"http://www.example.gov.cn/{p['name']}.html",
            "content_type": p["ctype"],
            "encoding": p["enc"],
            "template": "blind",
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
