"""The pages' words in Chinese (the default) and English.

``translator(lang)`` gives ``t(key, **values)``: the text of ``key`` in that language with the
values filled in. The rule options' English explanations are the command line's own
(:mod:`partition.ruleoptions`); only their Chinese is here.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

from partition.plan import STUDENT_MINUTES_LABEL
from partition.ruleoptions import LOCKS_OPTION, RULE_OPTIONS, SOLVE_OPTIONS

__all__ = ["LANGUAGES", "DEFAULT_LANGUAGE", "LANG_COOKIE", "MESSAGES", "OPTION_TEXT", "translator", "language"]

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANG_COOKIE = "xuequ_lang"

#: key -> (Chinese, English).
MESSAGES: dict[str, tuple[str, str]] = {
    "app_name": ("学区划分", "学区 planner"),
    "switch_language": ("English", "中文"),
    "home": ("首页", "Home"),
    "studies": ("研究项目", "Studies"),
    "no_studies": ("还没有项目。从示范县开始，或上传本县数据。", "No study yet. Start with the demo county or upload your county's data."),
    "new_demo": ("用示范县新建项目", "New study on the demo county"),
    "demo_hint": ("示范县的数据是虚构的，用于试用。", "The demo county is invented, for trying the tool."),
    "new_upload": ("上传本县数据新建项目", "New study from your county's data"),
    "study_name": ("项目名称", "Study name"),
    "osm_file": ("OSM 路网文件（.osm / .osm.bz2 / .osm.pbf，不超过 {mb} MB）", "OSM file (.osm / .osm.bz2 / .osm.pbf, up to {mb} MB)"),
    "school_file": ("学校表（CSV / XLSX / GeoJSON / GPKG，不超过 {mb} MB）", "School table (CSV / XLSX / GeoJSON / GPKG, up to {mb} MB)"),
    "coords": ("学校表的坐标系", "Coordinate system of the table"),
    "coords_wgs84": ("WGS-84（GPS、OpenStreetMap）", "WGS-84 (GPS, OpenStreetMap)"),
    "coords_cgcs2000": ("CGCS2000（天地图）", "CGCS2000 (Tianditu)"),
    "coords_gcj02": ("GCJ-02（高德、腾讯）", "GCJ-02 (Amap, Tencent)"),
    "coords_bd09": ("BD-09（百度）", "BD-09 (Baidu)"),
    "network": ("出行方式", "Travel by"),
    "network_drive": ("机动车", "road vehicle"),
    "network_walk": ("步行", "on foot"),
    "create": ("新建", "Create"),
    "upload": ("上传并读取", "Upload and read"),
    "source_demo": ("示范县", "demo county"),
    "source_upload": ("上传数据", "uploaded data"),
    "created": ("创建时间", "Created"),
    "state": ("状态", "State"),
    "state_reading": ("读取中", "reading"),
    "state_ready": ("已读取", "ready"),
    "state_failed": ("失败", "failed"),
    "reading_inputs": ("正在读取学校和路网……", "Reading the schools and roads…"),
    "inputs_failed": ("数据无法使用", "The data cannot be used"),
    "what_was_read": ("读取结果", "What was read"),
    "files": ("文件", "Files"),
    "schools": ("学校", "Schools"),
    "schools_by_level": ("各学段学校数", "Schools by level"),
    "level": ("学段", "Level"),
    "count": ("数量", "Count"),
    "n_cores": ("优质（核心）学校", "Quality (core) schools"),
    "enrollment": ("在校生", "Students"),
    "n_estimated": ("在校生数为估计值的学校", "Schools with estimated enrollment"),
    "road_network": ("路网", "Road network"),
    "road_size": ("{nodes} 个节点，{edges} 条路段，共 {km} 公里", "{nodes} nodes, {edges} edges, {km} km of road"),
    "dropped_rows": ("未使用的行（{n}）", "Rows dropped ({n})"),
    "no_dropped": ("所有行都已使用。", "Every row was used."),
    "row": ("行号", "Row"),
    "problem": ("问题", "Problem"),
    "fix": ("如何修正", "How to fix"),
    "notes": ("提示", "Notes"),
    "rules": ("划分规则", "Rules"),
    "rules_hint": ("每项规则的默认值与命令行相同；留空表示不启用该规则。",
                   "Each rule's default is the command line's; leave a field empty to switch the rule off."),
    "option": ("选项", "Option"),
    "default": ("默认", "Default"),
    "choice_all": ("全部学校", "all schools"),
    "choice_primary": ("小学（含九年一贯制）", "primary (with nine-year)"),
    "choice_junior": ("初中（含九年一贯制）", "junior (with nine-year)"),
    "choice_sum": ("学生·分钟最少", "least student-minutes"),
    "choice_max": ("最长通勤最短", "shortest longest trip"),
    "choice_core": ("按核心校", "after the core school"),
    "choice_direction": ("按方位", "by direction"),
    "choice_number": ("按序号", "by number"),
    "default_off": ("不启用", "off"),
    "explanation": ("说明", "Explanation"),
    "solve_settings": ("求解设置", "Solve settings"),
    "locks_file": ("规划者的约束文件（可选）", "Planner's rules file (optional)"),
    "start_run": ("开始计算", "Run"),
    "runs": ("计算", "Runs"),
    "no_runs": ("还没有计算。", "No run yet."),
    "run": ("计算", "Run"),
    "run_n": ("计算 #{n}", "Run #{n}"),
    "run_queued": ("排队中", "waiting"),
    "run_running": ("计算中", "running"),
    "run_done": ("已完成", "done"),
    "run_infeasible": ("无可行方案", "no plan"),
    "run_failed": ("失败", "failed"),
    "stage_roads": ("读取路网", "roads"),
    "stage_times": ("计算学校间通行时间", "travel times"),
    "stage_solve": ("求解", "solving"),
    "stage_territories": ("划定学区范围", "territories"),
    "stage_files": ("写出文件", "files"),
    "current_gap": ("当前差距 {gap}", "current gap {gap}"),
    "elapsed": ("已用 {s} 秒", "{s} s elapsed"),
    "progress": ("进度", "Progress"),
    "status": ("求解状态", "Solver status"),
    "status_optimal": ("最优（已证明）", "optimal (proven)"),
    "status_feasible": ("可行（时间限制内）", "feasible (time limit)"),
    "status_given": ("给定方案（评分）", "given plan (scored)"),
    "gap": ("与下界差距", "Gap to the bound"),
    "student_minutes": ("学生·分钟（往返中较长一程）", STUDENT_MINUTES_LABEL),
    "districts": ("学区", "学区 (districts)"),
    "map": ("地图", "Map"),
    "map_hint": ("点击学校，可把它调到另一个学区，或设为核心校；数字与违规项随即更新。",
                 "Click a school to move it to another 学区 or make it the core; the figures and violations update at once."),
    "figures": ("各学区指标", "Figures per 学区"),
    "district": ("学区", "学区 (district)"),
    "core": ("核心校", "Core school"),
    "district_head": ("学区长", "学区长 (head)"),
    "n_schools": ("学校数", "Schools"),
    "deviation": ("规模偏离", "Deviation"),
    "max_minutes": ("最长通勤（分钟）", "Longest trip (min)"),
    "mean_minutes": ("平均通勤（分钟）", "Mean trip (min)"),
    "mix": ("城区/镇区/乡村", "Urban/town/rural"),
    "exchange_teachers": ("交流教师/年", "Teachers exchanged/yr"),
    "fund_yuan": ("活动经费（元/年）", "Activity funds (yuan/yr)"),
    "cv_table": ("差异系数（对照国家标准）", "差异系数 (coefficient of variation) against the standard"),
    "indicator": ("指标", "Indicator"),
    "cv": ("差异系数", "CV"),
    "limit": ("标准", "Standard"),
    "meets": ("达标", "Meets"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "violations": ("违反的规则", "Rules broken"),
    "value_limit": ("{value}（规则：{limit}）", "{value} (rule: {limit})"),
    "no_violations": ("没有违反规则。", "No rule is broken."),
    "unassigned": ("未分配的学校", "Schools left out"),
    "downloads": ("下载", "Downloads"),
    "dl_map": ("离线地图（HTML）", "Offline map (HTML)"),
    "dl_report": ("报告（HTML）", "Report (HTML)"),
    "dl_districts": ("学区范围 GeoJSON", "学区 GeoJSON"),
    "dl_schools": ("学校 GeoJSON", "Schools GeoJSON"),
    "dl_gpkg": ("GeoPackage", "GeoPackage"),
    "dl_csv": ("学校名单 CSV", "School list CSV"),
    "dl_xlsx": ("学校名单 XLSX", "School list XLSX"),
    "dl_plan_csv": ("方案表 plan.csv", "Plan table plan.csv"),
    "dl_png": ("打印图 PNG", "Printed figure PNG"),
    "dl_pdf": ("打印图 PDF", "Printed figure PDF"),
    "infeasible_title": ("在这些规则下没有可行方案", "No plan keeps these rules"),
    "smallest_limit": ("最小可行通勤上限：{m} 分钟", "Smallest feasible travel limit: {m} min"),
    "rerun_at": ("按 {m} 分钟重新计算", "Run again at {m} min"),
    "run_failed_title": ("计算失败", "The run failed"),
    "save_proposal": ("保存为方案", "Save as a proposal"),
    "proposal_name": ("方案名称", "Proposal name"),
    "save": ("保存", "Save"),
    "proposals": ("方案", "Proposals"),
    "no_proposals": ("还没有方案。", "No proposal yet."),
    "proposal": ("方案", "Proposal"),
    "versions": ("版本", "Versions"),
    "version_n": ("第 {n} 版", "version {n}"),
    "latest": ("最新", "latest"),
    "p_draft": ("草案", "draft"),
    "p_consultation": ("征求意见", "out for comment"),
    "p_adopted": ("已采用", "adopted"),
    "set_status": ("更改状态", "Change status"),
    "status_history": ("状态记录", "Status history"),
    "adopted_version": ("采用的版本", "Adopted version"),
    "edits": ("调整", "Edits"),
    "edit_none": ("尚未调整。", "No edit yet."),
    "move_to": ("调到", "Move to"),
    "make_core": ("设为核心校", "Make it the core"),
    "undo_edits": ("撤销全部调整", "Undo all edits"),
    "save_version": ("保存为新版本", "Save as a new version"),
    "note": ("说明", "Note"),
    "from_run": ("来自计算 #{n}", "from run #{n}"),
    "diff_adopted": ("与采用版本的差异（动态调整）", "Changes against the adopted version (动态调整)"),
    "moves": ("调整学区的学校", "Schools that change 学区"),
    "no_moves": ("没有学校调整学区。", "No school changes 学区."),
    "from_district": ("原学区", "From"),
    "to_district": ("新学区", "To"),
    "compare": ("比较", "Compare"),
    "compare_selected": ("比较所选版本", "Compare the selected versions"),
    "compare_title": ("方案比较", "Comparing plans"),
    "compare_pick": ("请至少选择两个版本。", "Choose at least two versions."),
    "figure": ("指标", "Figure"),
    "best": ("最佳", "Best"),
    "agreement": ("一致程度（与第一个方案比）", "Agreement with the first plan"),
    "ari": ("调整兰德指数 ARI", "Adjusted Rand index"),
    "nmi": ("归一化互信息 NMI", "Normalised mutual information"),
    "students_moved": ("涉及学生", "Students moved"),
    "dl_compare_html": ("比较页面（HTML）", "Comparison page (HTML)"),
    "dl_compare_csv": ("比较表 CSV", "Comparison CSV"),
    "dl_moves_csv": ("调整名单 CSV", "Moves CSV"),
    "back": ("返回", "Back"),
    "error": ("出错了", "Something is wrong"),
    "not_found": ("没有这个页面或记录。", "No such page or record."),
    "bad_fields": ("表单的这些字段缺失或格式不对：{fields}。", "These form fields are missing or malformed: {fields}."),
    "run_busy": ("这个项目已有一项计算在进行；请等它结束后再开始新的计算。",
                 "A run of this study is in progress; wait for it to end before starting another."),
    "csrf": ("表单已过期或来自其他网站；请刷新页面后重试。",
             "The form is out of date or came from another site; reload the page and try again."),
    "too_large": ("上传的内容超过 {mb} MB 的上限。", "The upload is larger than the {mb} MB limit."),
    "study_not_ready": ("项目的数据还没有读取完成（或读取失败），不能计算。",
                        "The study's data is not read (or could not be read); it cannot run yet."),
    "name_taken": ("这个项目已有同名方案；请换一个名称。", "This study has a proposal of that name; choose another."),
    "name_needed": ("请填写名称。", "Give it a name."),
    "bad_choice": ("{field}：不能选“{value}”。", "{field}: '{value}' is not one of the choices."),
    "bad_edits": ("调整的内容无法识别；请刷新页面后重试。", "The edits cannot be read; reload the page and try again."),
    "bad_status": ("未知的方案状态。", "Unknown proposal status."),
    "plan_missing": ("这个方案的文件不见了。", "This plan's files are missing."),
    "demo_notice": ("示例数据（虚构）", "synthetic demo data"),
}

#: Each option of :mod:`partition.ruleoptions`: (Chinese label, Chinese explanation, English label).
OPTION_TEXT: dict[str, tuple[str, str, str]] = {
    "max_minutes": ("通勤时间上限（分钟）", "成员校与核心校之间往返中较长一程的行车时间上限", "Travel limit (minutes)"),
    "members": ("每个核心校的成员校数", "每个学区的成员校数量范围（不含核心校），如 2-6（诸城：联建2-6处）", "Members per core"),
    "balance": ("规模均衡", "每个学区在校生总数与平均值的偏离不超过此比例，如 0.25 表示 ±25%", "Balance"),
    "level": ("学段", "所有学校一起划分，或只划分小学、只划分初中", "Level"),
    "cores": ("核心校", "given：使用学校表中“是否优质”标记的学校；填数字 K：按办学质量和覆盖自动选出 K 所", "Cores"),
    "allow_unassigned": ("允许不分配", "通勤上限内到不了任何核心校的学校列出并留在学区之外，而不是报错", "Allow unassigned"),
    "min_rural": ("城乡联建", "每个学区至少包含 N 所镇区或乡村学校（能到达时）", "Minimum town/rural schools"),
    "indicator_band": ("指标均衡带", "每个学区某项指标的加权平均值在全县的 ±X 以内，写作 指标:X", "Indicator band"),
    "keep_township": ("乡镇完整", "同一乡镇/街道的学校划入同一个学区", "Keep townships whole"),
    "contiguity": ("连片", "学区从核心校向外，沿相邻的范围连片生长", "Contiguity"),
    "objective": ("优化目标", "sum：学生·分钟总和最小；max：先使最长通勤最短，再使学生·分钟最小", "Objective"),
    "rules": ("约束文件", "YAML/JSON 文件：固定分配、必须同学区或不同学区的学校对、指定核心校", "Rules file"),
    "seed": ("随机种子", "求解器的随机种子；相同输入和种子给出相同方案", "Seed"),
    "names": ("学区命名", "按核心校命名（X学区）、按相对县城的方位（小东学区、中南学区、城区学区）或按序号（第一学区）；约束文件中的 names 优先",
              "学区 names"),
    "seat": ("县城位置", "按方位命名时的县城位置（经度,纬度）；默认为城区学校的中心", "County seat"),
    "time_limit": ("求解时间上限（秒）", "精确求解器最多运行的秒数；提前停止时报告已证明的差距", "Time limit (s)"),
}


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` in ``lang``; ``t.option(name)`` the option's label, ``t.help(name)`` its explanation."""
    index = LANGUAGES.index(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
    options = {o.name: o for o in (*RULE_OPTIONS, LOCKS_OPTION, *SOLVE_OPTIONS)}

    def t(key: str, **values) -> str:
        text = MESSAGES[key][index]
        return text.format(**values) if values else text

    def option(name: str) -> str:
        zh_label, _, en_label = OPTION_TEXT[name]
        return zh_label if index == 0 else en_label

    def explain(name: str) -> str:
        return OPTION_TEXT[name][1] if index == 0 else options[name].help

    t.option, t.help = option, explain
    return t


def language(request: Request) -> str:
    """The person's language: their choice (a cookie), else Chinese."""
    chosen = request.cookies.get(LANG_COOKIE, DEFAULT_LANGUAGE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE
