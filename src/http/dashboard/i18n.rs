//! Every UI string of the dashboard, in tables of key, 中文, English: the
//! page words, what each error code means, finding types and categories.

use crate::error::ErrorCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "zh-CN" | "zh" => Some(Self::Zh),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The BCP 47 tag for `<html lang>` and the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
        }
    }
}

/// Looks strings up for one language; templates call `s.tr.t("key")`.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    /// The string for `key`; an unknown key shows itself, which a test catches.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match table().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self.0 {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => key,
        }
    }

    /// The string for `key` with its `{}` replaced by `n`.
    pub fn n(&self, key: &str, n: impl std::borrow::Borrow<i64>) -> String {
        self.t(key).replace("{}", &n.borrow().to_string())
    }

    /// Human name of a code (stage key, state, severity, disposition,
    /// finding type, category, ...), falling back to the code itself.
    pub fn code<'a>(&self, code: &'a str) -> &'a str {
        self.t(code)
    }

    /// What an error code means, in this language.
    pub fn error(&self, code: ErrorCode) -> &'static str {
        let key = format!("error.{}", code.as_str());
        match ERRORS.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self.0 {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => code.as_str(),
        }
    }
}

/// What each error code means, for the error page.
const ERRORS: &[(&str, &str, &str)] = &[
    ("error.bad_request", "请求内容有误。", "The request is malformed."),
    ("error.unauthorized", "请先登录。", "Please sign in."),
    ("error.forbidden", "您无权进行此操作。", "You may not do this."),
    ("error.not_found", "找不到该内容。", "Not found."),
    ("error.method_not_allowed", "此地址不接受该请求方法。", "This address does not accept that method."),
    ("error.payload_too_large", "上传的文件过大。", "The upload is too large."),
    ("error.unsupported_media_type", "不支持该文件格式。", "This file type is not supported."),
    ("error.too_many_requests", "尝试次数过多，请稍后再试。", "Too many attempts; please wait and try again."),
    ("error.internal", "系统内部错误，请稍后重试。", "Internal error; please try again later."),
    ("error.not_open", "该申请当前不在可审查状态。", "The release is not open for this."),
    ("error.not_allowed_in_state", "该申请当前状态不允许此操作。", "The release's state does not allow this."),
    ("error.already_decided", "您（或您所在单位）已就此版本作出决定。", "This decision has already been given for this version."),
    ("error.undispositioned_findings", "仍有发现项未处置，请先处置。", "Some findings still need a disposition."),
    ("error.stale_version", "该发现项属于旧版本。", "The finding belongs to an older version."),
    ("error.stage_decided", "该审查环节已通过此版本。", "The stage has already approved this version."),
    ("error.release_changed", "申请已有新版本，请刷新后重试。", "A newer version was filed meanwhile; reload and try again."),
    ("error.exists", "已存在。", "Already exists."),
    ("error.unknown_stage", "未知的审查环节。", "Unknown review stage."),
    ("error.unknown_department", "未知的单位。", "Unknown department."),
    ("error.department_required", "提交人和部门审核人须属于某一部门。", "Submitters and department approvers need a department."),
    ("error.co_departments_invalid", "会签单位重复，或包含了牵头单位。", "A co-department is listed twice, or is the lead department."),
    ("error.note_required", "请填写理由。", "Please give a reason."),
    ("error.blocking_finding", "密级标志只能作为误报清除，否则须提交不含该内容的新版本。", "A blocking finding is cleared only as a false positive; otherwise file a new version without it."),
    ("error.department_fixed", "新版本不能更改牵头单位。", "A new version cannot change the lead department."),
    ("error.invalid_file", "文件名或文件不符合上传规则。", "A file name or file breaks the upload rules."),
    ("error.column_summary", "列汇总没有单个取值。", "A column summary has no single value."),
    ("error.no_value", "该发现项指向文件的一部分（如图片），没有可显示的取值。", "This finding stands for a part of the file (an image, an object), not a value."),
    ("error.not_conditional", "该发布为无条件开放，无需申请。", "This release is open without conditions: no application is needed."),
    ("error.blocked", "管理员已拒绝该账户、密钥或地址的访问。", "An administrator has refused access to this account, key or address."),
    ("error.invalid_address", "不是有效的地址或 CIDR 网段。", "Not an address or a CIDR range."),
    ("error.not_openable", "不予开放的目录条目不能列入开放计划。", "A catalogue item that is not to be opened cannot be planned."),
    ("error.outside_year", "计划条目的完成日期须在该计划年度内。", "A plan item is due within its plan's year."),
    ("error.unknown_cosigner", "该密钥不在可会签审计检查点的名单中。", "That key is not among those allowed to co-sign audit checkpoints."),
    ("error.bad_cosignature", "会签签名与该检查点不符。", "The co-signature does not match this checkpoint."),
    ("error.outside_log", "审计日志中没有这一事件或这一规模的树。", "The audit log holds no such event or tree size."),
    ("error.organisation_required", "只有注明所属机构的账号才能登记为批量用户。", "Only an account that names its organisation can be registered as a bulk user."),
    ("error.wrong_department", "该发布请求不属于本计划条目的部门。", "The release belongs to another department than the plan item."),
    ("error.limit_reached", "已达上限，请先撤销或删除已有项。", "A limit was reached: revoke or remove one first."),
    ("error.invalid_delegation", "受托人须与委托人同一单位、同一角色。", "A delegate must hold the same roles in the same department."),
    ("error.retracted", "该数据已撤销发布。", "This release was retracted."),
    ("error.redacted_version_required", "有处置为“遮盖”的内容无法自动遮盖，须由提交人上传遮盖后的新版本。", "Content dispositioned redact cannot be redacted by the service: the submitter must upload a redacted version."),
];

/// Finding types and categories, with the code shown beside them.
const FINDINGS: &[(&str, &str, &str)] = &[
    ("CLASSIFICATION_MARK", "密级标志", "Classification mark"),
    ("CN_ID_CARD", "身份证号", "ID card number"),
    ("CN_MOBILE", "手机号码", "Mobile number"),
    ("CN_LANDLINE", "固定电话", "Landline number"),
    ("BANK_CARD", "银行卡号", "Bank card number"),
    ("EMAIL", "电子邮箱", "Email address"),
    ("CN_PASSPORT", "护照号码", "Passport number"),
    ("CN_HKMO_PERMIT", "港澳通行证号", "HK/Macao permit number"),
    ("CN_LICENSE_PLATE", "车牌号码", "Licence plate"),
    ("PERSON_NAME", "姓名", "Person name"),
    ("ADDRESS", "地址", "Address"),
    ("CN_USCC", "统一社会信用代码", "Unified social credit code"),
    ("GEO_COORDINATE", "地理坐标", "Geographic coordinate"),
    ("IP_ADDRESS", "IP 地址", "IP address"),
    ("SECRET_KEY", "密钥凭据", "Secret key"),
    ("secrecy", "涉密", "secrecy"),
    ("personal", "个人信息", "personal information"),
    ("commercial", "商业秘密", "commercial"),
    ("credential", "凭据", "credential"),
];

fn table() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    STRINGS.iter().chain(ERRORS).chain(FINDINGS)
}

const STRINGS: &[(&str, &str, &str)] = &[
    ("app", "数据开放保密审查", "Release gate"),
    ("nav.skip", "跳到正文", "Skip to content"),
    ("nav.queue", "待办审查", "Review queue"),
    ("nav.mine", "我的申请", "My releases"),
    ("nav.new", "提交申请", "New release"),
    ("nav.audit", "审计日志", "Audit trail"),
    ("nav.overview", "各部门概况", "Departments"),
    ("nav.catalog", "公开目录", "Public catalogue"),
    ("nav.reports", "督查考评", "Assessment"),
    ("nav.demands", "需求征集", "Data requests"),
    ("nav.logout", "退出", "Sign out"),
    ("nav.login", "登录", "Sign in"),
    ("nav.lang", "语言", "Language"),
    ("login.title", "登录", "Sign in"),
    ("login.username", "用户名", "Username"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Sign in"),
    (
        "login.failed",
        "用户名或密码错误",
        "Wrong username or password",
    ),
    ("error.title", "出错了", "Something went wrong"),
    ("error.back", "返回首页", "Back to the start page"),
    ("queue.title", "待我审查", "Waiting for my decision"),
    (
        "queue.empty",
        "没有待办事项。",
        "Nothing is waiting for you.",
    ),
    ("queue.age", "已等待 {} 天", "waiting {} days"),
    ("queue.left", "剩余 {} 个工作日", "{} working days left"),
    (
        "queue.overdue",
        "已超期 {} 个工作日",
        "overdue by {} working days",
    ),
    ("release.other_actions", "其他操作", "Other actions"),
    ("nav.leave", "休假委托", "On leave"),
    ("nav.jobs", "后台任务", "Jobs"),
    ("jobs.title", "后台任务", "Background jobs"),
    (
        "jobs.help",
        "上传文件的检查等工作在后台排队执行；失败的任务按退避时间重试，重试用尽后暂停在“失败”，查明原因后可重新排队（记入审计日志）。",
        "Inspections of uploads and other work run as queued jobs; a failing job is retried with back-off and, after its last attempt, parked as failed. Queue it again once the cause is fixed (audited).",
    ),
    ("jobs.filter", "按状态筛选", "Filter by state"),
    ("jobs.all", "全部", "All"),
    ("jobs.none", "没有任务。", "No jobs."),
    ("jobs.id", "任务编号", "Job"),
    ("jobs.kind", "类型", "Kind"),
    ("jobs.subject", "对象", "Subject"),
    ("jobs.state", "状态", "State"),
    ("jobs.attempts", "尝试次数", "Attempts"),
    ("jobs.run_at", "计划执行", "Runs at"),
    ("jobs.updated_at", "最近更新", "Updated"),
    ("jobs.error", "最近错误", "Last error"),
    ("jobs.retry", "重新排队", "Retry"),
    ("jobs.more", "下一页", "Next page"),
    ("inspect", "文件检查", "inspection"),
    ("queued", "排队中", "queued"),
    ("running", "执行中", "running"),
    ("failed", "失败", "failed"),
    ("done", "已完成", "done"),
    ("leave.title", "休假委托", "On leave: delegations"),
    (
        "leave.help",
        "休假或出差期间，将审查工作委托给同一单位、同一角色的同事；期间的期限提醒改发给受托人。",
        "While you are away, hand your work to a colleague of the same department and roles; deadline reminders go to them instead of you.",
    ),
    ("leave.none", "目前没有委托。", "No delegation is in force."),
    ("leave.away", "委托人", "Away"),
    ("leave.to", "受托人（用户名）", "Delegate (username)"),
    ("leave.from", "开始日期", "From"),
    ("leave.until", "结束日期（含）", "Until (inclusive)"),
    ("leave.note", "说明", "Note"),
    ("leave.ended", "已结束", "ended"),
    ("leave.end", "提前结束", "End now"),
    ("leave.new", "新建委托", "New delegation"),
    ("leave.submit", "委托", "Delegate"),
    ("overview.breaches", "逾期未办", "Missed deadlines"),
    ("overview.no_breaches", "没有逾期的审查环节。", "No stage is past its deadline."),
    ("overview.escalated", "已督办", "Escalated to"),
    ("escalation", "环节督办人", "the stage's escalation role"),
    ("leader_escalation", "分管领导", "the leader"),
    ("stop_clock", "中止计时", "Stop the clock"),
    ("resume_clock", "恢复计时", "Resume the clock"),
    ("recuse", "申请回避", "Recuse myself"),
    ("hold", "暂缓发布", "Hold before publication"),
    ("lift_hold", "解除暂缓", "Lift the hold"),
    ("withdraw", "撤回申请", "Withdraw"),
    ("retract", "撤销发布", "Retract"),
    ("act.reason_code", "中止事由", "Reason code"),
    ("clock.stopped", "计时中止", "clock stopped"),
    ("clock.extended", "已延长 {} 个工作日", "extended by {} working days"),
    (
        "clock.provisional",
        "暂定：该年度节假日安排尚未公布，按周一至周五计算",
        "provisional: that year's holidays are not yet published; counted Monday to Friday",
    ),
    ("supplement", "补正（等待新版本）", "supplement (waiting for a new version)"),
    ("third_party", "征求第三方意见", "third-party opinion"),
    ("secrecy_authority", "报保密行政管理部门确定", "referred to the secrecy administration"),
    ("consultation", "会商", "consultation"),
    ("release.held", "暂缓发布", "Held before publication"),
    ("release.retracted_reason", "撤销发布理由", "Retracted because"),
    ("filter.apply", "筛选", "Filter"),
    ("filter.any", "全部", "any"),
    ("page.next", "下一页", "Next page"),
    ("col.title", "标题", "Title"),
    ("col.stage", "环节", "Stage"),
    ("col.department", "部门", "Department"),
    ("col.state", "状态", "State"),
    ("col.findings", "发现项", "Findings"),
    ("col.deadline", "期限（北京时间）", "Deadline (Beijing)"),
    ("col.version", "版本", "Version"),
    ("col.updated", "更新时间", "Updated"),
    ("col.blocking", "待办事项", "Waiting on"),
    ("col.type", "类型", "Type"),
    ("col.severity", "级别", "Severity"),
    ("col.location", "位置", "Location"),
    ("col.excerpt", "上下文（已脱敏）", "Context (masked)"),
    ("col.disposition", "处置", "Disposition"),
    ("col.select", "选择", "Select"),
    ("col.status", "状态", "Status"),
    ("col.approvals", "通过数", "Approvals"),
    ("col.decisions", "审查记录", "Decisions"),
    ("col.files", "文件", "Files"),
    ("col.time", "时间（北京）", "Time (Beijing)"),
    ("col.actor", "操作人", "Actor"),
    ("col.action", "操作", "Action"),
    ("col.release", "申请", "Release"),
    ("col.details", "详情", "Details"),
    ("col.published", "发布时间", "Published"),
    ("col.change", "变化", "Change"),
    (
        "release.scanning",
        "正在检查文件（页面自动刷新）：文件",
        "Inspecting the files (this page refreshes): files",
    ),
    ("release.meta", "基本信息", "Details"),
    ("release.description", "说明", "Description"),
    ("release.co_departments", "会同单位", "Co-departments"),
    ("release.data_category", "数据类别", "Data category"),
    ("release.open_mode", "开放方式", "Open mode"),
    ("release.cross_border", "数据出境", "Cross-border"),
    ("release.publish_at", "计划发布时间", "Publish at"),
    ("release.submitter", "提交人", "Submitter"),
    ("release.stages", "审查环节", "Review stages"),
    ("release.versions", "版本", "Versions"),
    ("release.receipts", "审计回执", "Audit receipts"),
    ("release.receipts_help", "每项决定和发布都有一份回执：事件、包含证明和已签名的检查点。任何人凭公开的审计公钥即可离线核验（releasegate audit verify-receipt）。", "Each decision and the publication has a receipt: the event, its inclusion proof and a signed checkpoint. Anyone can check it offline with the published audit key (releasegate audit verify-receipt)."),
    ("release.receipt", "回执", "Receipt"),
    ("release.findings", "发现项", "Findings"),
    ("release.no_findings", "未发现敏感内容。", "No findings."),
    (
        "release.diff",
        "与上一版本相比",
        "Compared with the previous version",
    ),
    (
        "release.diff_none",
        "发现项无变化。",
        "The findings did not change.",
    ),
    (
        "release.diff_truncated",
        "变化较多，仅列出前 200 项新增和前 200 项消除。",
        "Many changes: only the first 200 new and 200 gone findings are listed.",
    ),
    (
        "release.reveal",
        "查看原值（记入审计）",
        "Show the value (audited)",
    ),
    ("release.revealed", "原值", "Value"),
    ("release.more_findings", "更多发现项", "More findings"),
    ("release.added", "新增", "new"),
    ("catalog.rating", "社会评价", "Public rating"),
    ("catalog.ratings", "{} 人评价", "{} ratings"),
    ("rating.availability", "可用性", "availability"),
    ("rating.completeness", "完整性", "completeness"),
    ("rating.accuracy", "准确性", "accuracy"),
    ("rating.timeliness", "及时性", "timeliness"),
    ("rating.security", "安全性", "security"),
    ("demands.title", "公众数据需求", "Data requests from the public"),
    ("demands.status", "状态", "Status"),
    ("demands.empty", "没有符合条件的需求。", "No data requests match."),
    ("demands.from", "提出人", "from"),
    ("demands.filed", "提交于", "filed"),
    ("demands.due", "答复期限", "answer due"),
    ("demands.late", "已逾期", "late"),
    ("demands.masked", "公众看到的是遮盖后的文字：", "The public sees it masked:"),
    ("demands.answer", "答复", "Answer"),
    ("demands.withheld", "不予公开，理由", "Withheld from the public, because"),
    ("demands.reason", "理由（不予开放时必填，公开）", "Reason (required to decline; public)"),
    ("demands.withhold", "不公开此需求的理由（可选）", "Reason to withhold from the public (optional)"),
    ("demands.send", "提交答复", "Send answer"),
    ("demand.open", "待答复", "open"),
    ("demand.accepted", "同意开放", "accepted"),
    ("demand.planned", "已列入计划", "planned"),
    ("demand.declined", "不予开放", "declined"),
    ("reports.title", "督查考评", "Department assessment"),
    ("reports.year", "年度", "Year"),
    ("reports.show", "查看", "Show"),
    ("reports.csv", "导出 CSV", "Export CSV"),
    ("reports.opened", "开放数据", "Releases opened"),
    ("reports.on_time", "按时审查", "Stages on time"),
    ("reports.median", "审查用时中位数（工作日）", "Median review (working days)"),
    ("reports.overdue", "超期环节", "Overdue stages"),
    ("reports.demands", "需求按时答复", "Requests answered on time"),
    ("reports.rating", "社会评价", "Public rating"),
    ("reports.plan", "计划完成", "Plan delivered"),
    ("reports.plan_overdue", "逾期", "overdue"),
    ("reports.score", "得分", "Score"),
    (
        "reports.note",
        "得分按 policies/assessment.toml 的权重计算，满分 100；无可计量的指标不计入，其权重由其余指标分摊。",
        "Scores out of 100, weighted by policies/assessment.toml; a measure with nothing to measure is left out and the others share its weight.",
    ),
    ("overview.title", "各部门审查概况", "Review by department"),
    ("overview.open", "待决环节", "Open stages"),
    ("overview.oldest", "最久待决（工作日）", "Oldest open (working days)"),
    ("overview.overdue", "已超期", "Overdue"),
    (
        "overview.note",
        "各环节列为从开启到作出决定的工作日中位数，按每个环节最近 {} 项决定计算。",
        "Stage columns: median working days from opening to decision, over the latest {} decisions of each stage.",
    ),
    ("release.removed", "已消除", "gone"),
    ("release.decide", "审查决定", "Decision"),
    ("release.comment", "意见", "Comment"),
    ("release.decide_submit", "提交决定", "Submit decision"),
    (
        "release.dispose",
        "处置所选发现项",
        "Disposition the selected findings",
    ),
    ("release.note", "处置说明", "Note"),
    ("release.dispose_submit", "提交处置", "Submit dispositions"),
    ("release.new_version", "上传新版本", "Upload a new version"),
    ("release.upload", "上传", "Upload"),
    (
        "release.dismissed",
        "（已因新版本失效）",
        "(dismissed by a newer version)",
    ),
    ("release.by", "处置人", "by"),
    ("yes", "是", "yes"),
    ("no", "否", "no"),
    ("new.title", "提交数据开放申请", "File a release"),
    ("new.title_field", "标题", "Title"),
    (
        "new.co_departments_hint",
        "部门代码，以逗号分隔",
        "department codes, comma-separated",
    ),
    (
        "new.publish_at_hint",
        "北京时间，可留空",
        "Beijing time, optional",
    ),
    ("new.files", "文件", "Files"),
    ("new.submit", "提交并扫描", "Submit and scan"),
    ("mine.title", "我的申请", "My releases"),
    ("mine.empty", "尚无申请。", "No releases yet."),
    (
        "mine.blocked",
        "密级标志待保密审查员处置",
        "a classification mark awaits the secrecy reviewer",
    ),
    ("mine.changes", "需上传新版本", "upload a new version"),
    ("audit.title", "审计日志", "Audit trail"),
    ("audit.from", "起始时间", "From"),
    ("audit.to", "截止时间", "To"),
    ("audit.export_csv", "导出 CSV", "Export CSV"),
    ("audit.export_ndjson", "导出 NDJSON", "Export NDJSON"),
    ("audit.verify", "校验哈希链", "Verify the chain"),
    ("audit.intact", "哈希链完整", "The chain is intact"),
    (
        "audit.broken",
        "哈希链被篡改，首个异常事件序号",
        "The chain is broken; first bad event",
    ),
    ("audit.events", "事件数", "events"),
    ("audit.empty", "没有匹配的事件。", "No matching events."),
    ("catalog.title", "公开数据目录", "Public data catalogue"),
    ("member.login_title", "公众账号登录", "Sign in with a public account"),
    ("member.email", "电子邮箱", "E-mail address"),
    ("member.failed", "邮箱或密码不正确。", "Wrong e-mail address or password."),
    (
        "member.register_hint",
        "没有账号？通过 POST /public/accounts 注册，并点击确认邮件中的链接。",
        "No account yet? Register with POST /public/accounts and follow the link in the confirmation mail.",
    ),
    ("member.sign_out", "退出公众账号", "Sign out"),
    ("rating.send", "提交评价", "Rate"),
    ("rating.comment", "意见（可选）", "Comment (optional)"),
    ("public_demands.title", "数据需求征集", "Data requests"),
    (
        "public_demands.intro",
        "公众提出的数据开放需求及部门答复。部门应在20个工作日内答复。",
        "What the public asked to be opened, and the departments' answers, due within 20 working days.",
    ),
    ("public_demands.new", "提出数据需求", "Ask for data"),
    ("public_demands.field_title", "需求名称", "What data"),
    ("public_demands.field_description", "需求说明（用途）", "Details and intended use"),
    ("public_demands.field_department", "向哪个部门提出", "Department asked"),
    ("public_demands.any_department", "不确定（由相关部门认领）", "Not sure (a department takes it up)"),
    ("public_demands.field_contact", "联系方式（不公开）", "How to reach you (never public)"),
    ("public_demands.send", "提交需求", "Send request"),
    ("public_demands.sign_in_to_ask", "登录公众账号后可提出需求、评价数据。", "Sign in with a public account to ask for data or rate it."),
    ("public_demands.empty", "暂无公开的数据需求。", "No data requests yet."),
    ("catalog.search", "搜索标题、说明或部门", "Search titles, descriptions or departments"),
    ("catalog.search_button", "搜索", "Search"),
    ("catalog.department", "部门", "Department"),
    ("catalog.theme", "主题（数据类别）", "Theme (data category)"),
    ("catalog.open_mode", "开放方式", "Open mode"),
    ("catalog.from", "发布日期自", "Published from"),
    ("catalog.to", "至", "to"),
    (
        "catalog.empty",
        "暂无已发布的数据。",
        "Nothing published yet.",
    ),
    // Codes: states, stages, decisions, dispositions, severities, open modes.
    ("scanning", "检查中", "being inspected"),
    ("blocked", "已拦截", "blocked"),
    ("in_review", "审查中", "in review"),
    ("changes_requested", "需修改", "changes requested"),
    ("rejected", "已驳回", "rejected"),
    ("approved", "已通过", "approved"),
    ("published", "已发布", "published"),
    ("withdrawn", "已撤回", "withdrawn"),
    ("retracted", "已撤销发布", "retracted"),
    ("not_required", "无需", "not required"),
    ("waiting", "等待前序环节", "waiting"),
    ("open", "待审查", "open"),
    ("department_review", "处室负责人初审", "Department review"),
    ("secrecy_review", "保密审查", "Secrecy review"),
    (
        "privacy_review",
        "个人信息保护审查",
        "Personal-information review",
    ),
    (
        "cross_border_assessment",
        "数据出境安全评估",
        "Cross-border assessment",
    ),
    ("co_unit_signoff", "会同单位会签", "Co-department sign-off"),
    ("final_signoff", "分管领导签发", "Final sign-off"),
    ("approve", "通过", "approve"),
    ("reject", "驳回", "reject"),
    ("request_changes", "退回修改", "request changes"),
    ("false_positive", "误报", "false positive"),
    ("accepted", "接受（说明理由）", "accepted"),
    ("redact", "脱敏发布", "redact"),
    ("block", "拦截", "block"),
    ("high", "高", "high"),
    ("medium", "中", "medium"),
    ("low", "低", "low"),
    ("info", "提示", "info"),
    ("unconditional", "无条件开放", "unconditional"),
    ("conditional", "有条件开放", "conditional"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_and_finding_type_has_words() {
        for code in ErrorCode::ALL {
            assert_ne!(Tr(Lang::Zh).error(code), code.as_str(), "{code}");
        }
        let policies = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/detectors");
        let entity = regex::Regex::new(r#"(?m)^entity = "([A-Z_]+)""#).unwrap();
        for entry in std::fs::read_dir(policies).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for cap in entity.captures_iter(&text) {
                assert_ne!(
                    Tr(Lang::Zh).code(&cap[1]),
                    &cap[1],
                    "no words for {}",
                    &cap[1]
                );
            }
        }
    }

    #[test]
    fn every_key_is_unique_and_translated() {
        let mut keys: Vec<&str> = table().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "a key is listed twice");
        assert!(table().all(|(_, zh, en)| !zh.is_empty() && !en.is_empty()));
    }

    #[test]
    fn every_key_used_by_a_template_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let used = regex::Regex::new(r#"t\("([a-z_.]+)"\)"#).unwrap();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for cap in used.captures_iter(&text) {
                let key = &cap[1];
                assert!(
                    table().any(|(k, _, _)| *k == key),
                    "{} uses the unknown key {key}",
                    path.display()
                );
            }
        }
    }
}
