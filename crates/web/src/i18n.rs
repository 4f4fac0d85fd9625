//! Every piece of interface text, Traditional Chinese first and English second, side by
//! side so that neither language falls behind. A test checks that every key a template or
//! handler asks for is here.

use std::collections::HashMap;
use std::sync::LazyLock;

use civitas_core::time::Language;

/// (key, 繁體中文, English)
pub const TEXT: &[(&str, &str, &str)] = &[
    ("a11y.skip", "跳到主要內容", "Skip to main content"),
    ("a11y.nav", "主選單", "Main menu"),
    ("a11y.pages", "分頁", "Pages"),
    (
        "brand.sub",
        "桃園市資料治理與資安維運平台",
        "Data governance and security operations",
    ),
    ("lang.switch", "English", "中文"),
    (
        "foot.dates",
        "日期以民國紀年、臺北時間顯示",
        "Dates in Taipei time",
    ),
    // navigation
    ("nav.logout", "登出", "Sign out"),
    ("nav.soon", "建置中", "Coming"),
    ("nav.group_overview", "總覽", "Overview"),
    ("nav.group_data", "資料治理", "Data governance"),
    ("nav.group_security", "資訊安全", "Security"),
    ("nav.group_admin", "管理", "Administration"),
    ("nav.group_me", "個人", "Personal"),
    ("nav.home", "首頁", "Home"),
    ("nav.catalog", "資料目錄", "Data catalogue"),
    ("nav.freshness", "逾期更新檢測", "Overdue updates"),
    ("nav.sharing", "跨機關資料共享", "Data sharing"),
    (
        "nav.exchange",
        "資料交換（T-Road）",
        "Data exchange (T-Road)",
    ),
    ("nav.geo", "空間圖資", "Map layers"),
    ("nav.alerts", "資安警訊", "Security alerts"),
    ("nav.cases", "資安事件與鑑識", "Incidents & forensics"),
    ("nav.assets", "資產與弱點", "Assets & vulnerabilities"),
    ("nav.agencies", "機關", "Agencies"),
    ("nav.users", "使用者", "Users"),
    ("nav.imports", "匯入紀錄", "Imports"),
    ("nav.audit", "稽核軌跡", "Audit trail"),
    ("nav.account", "我的帳號", "My account"),
    ("nav.tokens", "我的 API 權杖", "My API tokens"),
    // notifications
    ("notify.title", "通知", "Notifications"),
    (
        "notify.lead",
        "您負責的資料集即將到期、逾期未更新或需要檢視時，civitas 會在這裡通知您。",
        "civitas tells you here when a dataset you look after is about to fall due, is overdue, or needs a review.",
    ),
    ("notify.views", "通知篩選", "Which notifications"),
    ("notify.all", "全部", "All"),
    ("notify.unread", "未讀", "Unread"),
    ("notify.new", "未讀", "New"),
    ("notify.mark_all", "全部標示為已讀", "Mark all as read"),
    ("notify.mark_read", "標示為已讀", "Mark as read"),
    ("notify.read_at", "已讀於", "read on"),
    ("notify.none", "目前沒有通知。", "No notifications yet."),
    (
        "notify.none_explained",
        "若您是機關資料管理人，當您負責的資料集即將到期（例如每月更新的資料集在到期前 3 天）、逾期未更新，或不定期更新的資料集久未更新而需要檢視時，通知會出現在這裡，並附上該資料集的連結。",
        "If you are an agency data steward, a notice appears here, linking to the dataset, when a dataset you look after is about to fall due (a monthly one 3 days before), is overdue, or, if it is updated irregularly, has been silent long enough to need a review.",
    ),
    (
        "notify.none_email",
        "若您的帳號設有電子郵件地址，且平台已設定寄信伺服器，您也會收到內容相同的電子郵件。",
        "If your account has an e-mail address and the platform has a mail server, the same notice also reaches you by e-mail.",
    ),
    (
        "notify.none_unread",
        "沒有未讀的通知。",
        "No unread notifications.",
    ),
    ("notify.see_all", "查看全部通知", "See all notifications"),
    ("notify.bell", "通知", "Notifications"),
    (
        "notify.bell_unread",
        "通知（{} 則未讀）",
        "Notifications ({} unread)",
    ),
    (
        "flash.notifications_read",
        "已將 {} 則通知標示為已讀。",
        "{} notifications marked as read.",
    ),
    // common words
    ("common.actions", "操作", "Actions"),
    ("common.apply", "套用", "Apply"),
    ("common.cancel", "取消", "Cancel"),
    ("common.created", "建立時間", "Created"),
    ("common.updated", "最後修改", "Last changed"),
    ("common.save", "儲存", "Save"),
    ("common.search", "查詢", "Search"),
    ("page.prev", "上一頁", "Previous"),
    ("page.next", "下一頁", "Next"),
    ("page.page", "第", "Page"),
    ("page.total", "共", "Total"),
    // sign-in
    ("login.title", "登入", "Sign in"),
    (
        "login.lead",
        "請以您的帳號登入 civitas。",
        "Sign in to civitas with your account.",
    ),
    ("login.name", "帳號", "User name"),
    ("login.password", "密碼", "Password"),
    ("login.submit", "登入", "Sign in"),
    (
        "login.help",
        "忘記密碼或帳號被鎖定時，請洽貴機關的平台管理者。",
        "Forgot your password or locked out? Ask your agency's platform administrator.",
    ),
    // errors
    ("error.forbidden", "沒有權限", "Not allowed"),
    ("error.not_found", "找不到", "Not found"),
    ("error.conflict", "無法完成", "Cannot be done"),
    ("error.bad_request", "輸入有誤", "Check your input"),
    ("error.slow_down", "請稍候再試", "Please wait"),
    ("error.internal", "系統錯誤", "Something went wrong"),
    ("error.generic", "發生問題", "A problem occurred"),
    ("error.code", "錯誤代碼", "Error code"),
    ("error.request_id", "請求編號", "Request id"),
    ("error.home", "回首頁", "Back to the home page"),
    // dashboard
    ("dash.title", "首頁", "Home"),
    ("dash.numbers", "重要數字", "Key numbers"),
    ("dash.agencies_active", "運作中機關", "Active agencies"),
    ("dash.agencies_retired", "已裁撤", "Retired"),
    ("dash.users", "使用者", "Users"),
    (
        "dash.my_tokens",
        "我的有效 API 權杖",
        "My active API tokens",
    ),
    ("dash.chain", "稽核軌跡完整性", "Audit trail integrity"),
    (
        "dash.activity",
        "近 30 天的登入與異動",
        "Sign-ins and changes, last 30 days",
    ),
    (
        "dash.activity_help",
        "每天的登入次數與其他異動筆數，取自稽核軌跡。",
        "Daily sign-ins and other recorded changes, from the audit trail.",
    ),
    (
        "dash.activity_empty",
        "近 30 天沒有任何紀錄。",
        "Nothing recorded in the last 30 days.",
    ),
    ("dash.activity_table", "以表格檢視", "Show as a table"),
    ("dash.day", "日期", "Day"),
    ("dash.series_logins", "登入", "Sign-ins"),
    ("dash.series_changes", "其他異動", "Other changes"),
    ("dash.capabilities", "平台功能", "What civitas does"),
    ("dash.ready", "可使用", "Ready"),
    ("dash.recent", "最近的稽核紀錄", "Latest audit entries"),
    (
        "dash.recent_more",
        "查看完整稽核軌跡",
        "See the whole audit trail",
    ),
    (
        "dash.no_roles_title",
        "您尚未被授予任何角色",
        "You have no roles yet",
    ),
    (
        "dash.no_roles",
        "請洽貴機關的平台管理者為您授予角色（例如「檢視者」或「機關資料管理人」）。在此之前，您只能管理自己的帳號。",
        "Ask your agency's platform administrator to grant you a role (for example Viewer or Agency data steward). Until then you can only manage your own account.",
    ),
    (
        "tile.agencies",
        "市府組織樹：局處、所屬機關、裁撤與承接。",
        "The city's organisation tree: bureaus, subordinate agencies, retirements and successors.",
    ),
    (
        "chain.ok_text",
        "已驗證 {n} 筆紀錄，雜湊鏈完整（{when}）。",
        "{n} entries verified; the hash chain is intact ({when}).",
    ),
    (
        "chain.bad_text",
        "第 {seq} 筆紀錄有問題：{msg}（{when}）。請立即通報資安人員。",
        "Entry {seq} has a problem: {msg} ({when}). Tell the security officer now.",
    ),
    // capabilities not built yet
    ("cap.status_coming", "建置中", "Being built"),
    (
        "cap.what",
        "完成後您可以",
        "When it is ready you will be able to",
    ),
    (
        "cap.no_fake",
        "此功能尚未開放，頁面不顯示任何示意資料。",
        "This capability is not open yet; no sample data is shown.",
    ),
    (
        "cap.catalog.summary",
        "全市各機關資料集（供給）與需求的單一清冊，可用中英文搜尋。",
        "One inventory of every agency's datasets (supply) and needs (demand), searchable in Chinese and English.",
    ),
    (
        "cap.catalog.p1",
        "匯入桃園市開放資料供應清單、data.gov.tw 與 CKAN、DCAT 來源",
        "Harvest Taoyuan's supply list, data.gov.tw, CKAN and DCAT sources",
    ),
    (
        "cap.catalog.p2",
        "以「停車」「公車」等詞搜尋並依機關、主題、格式篩選",
        "Search for words like 停車 or 公車 and filter by agency, theme and format",
    ),
    (
        "cap.catalog.p3",
        "盤點各機關的資料需求並對應到既有資料",
        "Record each agency's data needs and match them to existing datasets",
    ),
    (
        "cap.freshness.title",
        "逾期更新檢測",
        "Overdue update detection",
    ),
    (
        "cap.freshness.summary",
        "依宣告的更新頻率與實際更新證據，找出即將到期與已逾期的資料集。",
        "Declared update frequency against evidence of real updates: what is due soon and what is overdue.",
    ),
    (
        "cap.freshness.p1",
        "在資料集到期前提醒資料管理人",
        "Remind stewards before a dataset falls due",
    ),
    (
        "cap.freshness.p2",
        "各機關準時更新率與趨勢圖",
        "See each agency's on-time rate and its trend",
    ),
    (
        "cap.freshness.p3",
        "匯出全市逾期清單（CSV、XLSX、ODS）",
        "Export the city-wide overdue list (CSV, XLSX, ODS)",
    ),
    (
        "cap.sharing.title",
        "跨機關資料共享",
        "Cross-department data sharing",
    ),
    (
        "cap.sharing.summary",
        "需求機關申請、提供機關核准，核准後以 API 取得資料，每次存取都留下紀錄。",
        "Requesting agencies apply, providing agencies approve, the data flows by API, and every access is counted.",
    ),
    (
        "cap.sharing.p1",
        "申請、部分核准或附理由拒絕",
        "Apply, approve in part, or refuse with a reason",
    ),
    (
        "cap.sharing.p2",
        "含個人資料的資料集需法律依據與第二位核准人",
        "Personal data needs a legal basis and a second approver",
    ),
    (
        "cap.sharing.p3",
        "依資料集與機關統計使用量與效益",
        "Measure use and benefit per dataset and agency",
    ),
    ("cap.geo.title", "空間圖資", "Map layers"),
    (
        "cap.geo.summary",
        "依使用情境與業務主題分類圖資，在地圖上快速找到並瀏覽。",
        "Layers classified by usage scenario and business theme, found fast and explored on a map.",
    ),
    (
        "cap.geo.p1",
        "依情境與主題瀏覽圖層",
        "Browse layers by scenario and theme",
    ),
    (
        "cap.geo.p2",
        "以 OGC API Features 提供圖資",
        "Serve layers through OGC API Features",
    ),
    ("cap.alerts.title", "資安警訊", "Security alerts"),
    (
        "cap.alerts.summary",
        "匯入 SOC、EDR 與區域情資的警訊，分類、去重，分析樣態、成因與趨勢。",
        "Alerts from the SOC, EDR and the regional intel exchange: classified, de-duplicated, analysed for patterns, causes and trends.",
    ),
    (
        "cap.alerts.p1",
        "重現稽核報告的類別與嚴重度統計",
        "Reproduce the audit's category and severity table from raw data",
    ),
    (
        "cap.alerts.p2",
        "偵測各機關的異常增加",
        "Detect unusual rises per agency",
    ),
    (
        "cap.alerts.p3",
        "比對 STIX 威脅情資",
        "Match STIX threat intelligence",
    ),
    (
        "cap.cases.title",
        "資安事件與鑑識",
        "Incidents and forensics",
    ),
    (
        "cap.cases.summary",
        "依法定時限處理資安事件，追蹤鑑識報告的每項建議直到驗證結案。",
        "Incidents on their legal clocks, and every forensic recommendation tracked to verified closure.",
    ),
    (
        "cap.cases.p1",
        "通報、審核與復原的法定期限倒數",
        "Count down the notification, review and recovery deadlines",
    ),
    (
        "cap.cases.p2",
        "改善措施由非負責人驗證後才結案",
        "Close actions only after someone else verifies them",
    ),
    (
        "cap.cases.p3",
        "結案後 30 與 90 天檢查是否再發生",
        "Check 30 and 90 days after closure whether it came back",
    ),
    (
        "cap.assets.title",
        "資產與弱點",
        "Assets and vulnerabilities",
    ),
    (
        "cap.assets.summary",
        "系統、元件、保固與停止支援日期，比對已知弱點並追蹤修補期限。",
        "Systems, components, warranties and end-of-life dates, matched against known vulnerabilities with patch deadlines.",
    ),
    (
        "cap.assets.p1",
        "保固到期前提醒",
        "Be told before a warranty runs out",
    ),
    (
        "cap.assets.p2",
        "比對 CVE、OSV 與 KEV",
        "Match CVE, OSV and KEV records",
    ),
    // catalogue
    (
        "tile.catalog",
        "全市各機關的資料集清冊：搜尋、篩選、更新狀態與異動紀錄。",
        "Every agency's datasets: search, filters, freshness and history.",
    ),
    ("catalog.title", "資料目錄", "Data catalogue"),
    // link checks
    ("links.title", "網址檢查", "Address checks"),
    ("links.url", "網址", "Address"),
    ("links.result", "結果", "Result"),
    ("links.checked", "最近檢查", "Last checked"),
    ("links.last_ok", "最近可連線", "Last answered"),
    ("links.ok", "可連線", "Answers"),
    // registering datasets by hand or by sheet
    ("entry.new_title", "新增資料集", "Register a dataset"),
    ("entry.edit_title", "編輯資料集說明", "Edit the description"),
    (
        "entry.new_lead",
        "沒有自己系統的機關可在這裡登錄資料集；標 * 者必填。若填寫「資料最後更新時間」，逾期檢測即由此起算。",
        "Agencies with no system of their own register datasets here; * marks what is required. When you give the data's last update, overdue detection counts from it.",
    ),
    (
        "entry.edit_lead",
        "修改說明會留下新版本與稽核紀錄，但不會改變資料的更新時間；資料有更新時請上傳新檔案或按「已檢視，無新資料」。",
        "Editing the description keeps a new version and an audit entry but does not change when the data was updated; upload a new file or record a review for that.",
    ),
    (
        "entry.many",
        "要一次登錄許多資料集？",
        "Registering many datasets?",
    ),
    (
        "entry.import_title",
        "批次上傳資料集",
        "Upload many datasets",
    ),
    (
        "entry.import_lead",
        "以試算表一次登錄或更新機關的資料集。同一檔案重複上傳不會重複建立；每一列若有問題，會列出列號與原因，其餘各列照常登錄。",
        "Register or update your agency's datasets from a spreadsheet. Uploading the same file again creates nothing twice; a row with a problem is listed with its line and reason while the others are registered.",
    ),
    (
        "entry.step_template",
        "下載範本：",
        "Download the template:",
    ),
    (
        "entry.step_fill",
        "每列填一個資料集，欄位說明見下表（標 * 者必填）。",
        "Fill in one dataset per row; the columns are explained below (* is required).",
    ),
    (
        "entry.step_upload",
        "選擇檔案並上傳，完成後會顯示匯入結果。",
        "Choose the file and upload it; the result is shown when it is done.",
    ),
    (
        "entry.file_help",
        "CSV（UTF-8 或 Big5）、XLSX 或 ODS；第一列為欄位名稱，可用中文或英文。",
        "CSV (UTF-8 or Big5), XLSX or ODS; the first row holds the column names, in Chinese or English.",
    ),
    ("entry.columns", "欄位說明", "Columns"),
    ("entry.column", "欄位", "Column"),
    ("entry.meaning", "說明", "Meaning"),
    ("entry.example", "範例", "Example"),
    ("entry.new", "新增資料集", "Register a dataset"),
    ("entry.upload", "批次上傳", "Upload many"),
    ("entry.edit", "編輯說明", "Edit description"),
    (
        "catalog.lead",
        "全市各機關的資料集。可用中文或英文搜尋，例如「停車」「公車」，再以左側條件篩選。",
        "Every agency's datasets. Search in Chinese or English, e.g. 停車 or bus, then narrow with the filters.",
    ),
    ("catalog.search_label", "搜尋資料集", "Search datasets"),
    (
        "catalog.placeholder",
        "輸入關鍵字，例如：停車、公車、人口",
        "Type a word, e.g. parking, bus, population",
    ),
    ("catalog.fields_only", "只搜尋欄位名稱", "Field names only"),
    ("catalog.filters", "篩選條件", "Filters"),
    ("catalog.clear_filters", "清除篩選", "Clear filters"),
    (
        "catalog.no_hits",
        "沒有符合的資料集。可試試較短的詞，或清除篩選條件。",
        "No dataset matches. Try a shorter word or clear the filters.",
    ),
    (
        "catalog.empty_catalog",
        "目錄裡還沒有資料集：請平台管理者匯入機關的資料供應清單。",
        "The catalogue is empty: ask a platform administrator to import an agency's supply list.",
    ),
    ("catalog.withdrawn", "已自來源下架", "Withdrawn at source"),
    ("catalog.freshness", "更新狀態", "Freshness"),
    ("catalog.declared", "宣告的更新頻率", "Declared frequency"),
    (
        "catalog.data_updated",
        "資料最近一次實際更新",
        "Data last actually updated",
    ),
    (
        "catalog.reviewed",
        "最近一次確認無新資料",
        "Last reviewed, nothing new",
    ),
    ("catalog.due", "下次應更新", "Next update due"),
    (
        "catalog.review_note",
        "確認無新資料",
        "Reviewed, nothing new",
    ),
    (
        "catalog.review_placeholder",
        "說明（選填），例如：本期無異動",
        "Note (optional), e.g. no change this period",
    ),
    ("catalog.review_button", "記錄已確認", "Record the review"),
    ("catalog.metadata", "詮釋資料", "Metadata"),
    ("catalog.identifier", "資料集識別碼", "Identifier"),
    ("catalog.agency", "提供機關", "Providing agency"),
    ("catalog.category", "服務分類", "Category"),
    ("catalog.kind", "資料集類型", "Type"),
    ("catalog.keywords", "標籤／關鍵字", "Keywords"),
    ("catalog.access", "取用方式", "Access"),
    ("catalog.license", "授權方式", "Licence"),
    ("catalog.cost", "計費方式", "Cost"),
    ("catalog.temporal", "收錄期間", "Time covered"),
    ("catalog.spatial", "空間範圍", "Area covered"),
    ("catalog.records", "資料量", "Records"),
    ("catalog.issued", "發布時間", "Published"),
    (
        "catalog.source_modified",
        "來源標示的最後更新時間",
        "Last updated (as the source says)",
    ),
    ("catalog.landing", "資料集網址", "Dataset page"),
    ("catalog.notes", "備註", "Notes"),
    ("catalog.distributions", "資料資源", "Distributions"),
    (
        "catalog.no_distributions",
        "沒有登錄資料資源。",
        "No distributions recorded.",
    ),
    ("catalog.format", "檔案格式", "Format"),
    ("catalog.encoding", "編碼", "Encoding"),
    ("catalog.link", "取得方式", "Get it"),
    ("catalog.download", "下載", "Download"),
    ("catalog.open", "開啟", "Open"),
    ("catalog.fields", "主要欄位", "Fields"),
    (
        "catalog.no_fields",
        "沒有登錄欄位說明。",
        "No fields described.",
    ),
    ("catalog.field_name", "欄位名稱", "Field"),
    ("catalog.field_label", "說明", "Meaning"),
    ("catalog.history", "異動紀錄", "History"),
    ("catalog.version", "版本", "Version"),
    ("catalog.provenance", "來源：", "Source:"),
    (
        "catalog.seen",
        "最近一次在來源看到：",
        "last seen at source:",
    ),
    (
        "flash.reviewed",
        "已記錄「{}」確認無新資料。",
        "Recorded that '{}' was reviewed.",
    ),
    ("action.dataset", "資料集異動", "Dataset changes"),
    ("action.dataset.create", "新增資料集", "Dataset added"),
    ("action.dataset.update", "修改資料集", "Dataset changed"),
    (
        "action.dataset.withdraw",
        "資料集自來源下架",
        "Dataset withdrawn at source",
    ),
    (
        "action.dataset.reactivate",
        "資料集重新上架",
        "Dataset back at source",
    ),
    (
        "action.dataset.review",
        "確認無新資料",
        "Reviewed, nothing new",
    ),
    ("action.catalog.import", "匯入資料集", "Datasets imported"),
    ("fresh.title", "逾期更新檢測", "Overdue update detection"),
    (
        "fresh.lead",
        "依各資料集宣告的更新頻率，比對實際更新的證據：哪些即將到期、哪些已逾期，以及各機關的準時更新率。",
        "Each dataset's declared frequency against evidence of real updates: what is due soon, what is overdue, and each agency's on-time rate.",
    ),
    ("fresh.all_agencies", "全市所有機關", "All agencies"),
    ("fresh.recompute", "立即重新檢測", "Reassess now"),
    (
        "fresh.never_assessed",
        "尚未檢測：請按「立即重新檢測」。",
        "Not assessed yet: press Reassess now.",
    ),
    ("fresh.datasets", "資料集", "Datasets"),
    ("fresh.fresh", "已更新", "Up to date"),
    ("fresh.due_soon", "即將到期", "Due soon"),
    ("fresh.overdue", "逾期未更新", "Overdue"),
    ("fresh.delinquent", "嚴重逾期", "Long overdue"),
    ("fresh.review_due", "不定期待檢視", "Irregular, review due"),
    ("fresh.trend", "準時更新率的變化", "On-time rate over time"),
    (
        "fresh.trend_empty",
        "累積兩次以上的檢測後，這裡會顯示趨勢圖。",
        "The chart appears once there are two or more assessments.",
    ),
    ("fresh.on_time", "準時更新率", "On-time rate"),
    ("fresh.scorecards", "各機關成績", "Agency scorecards"),
    ("fresh.no_scores", "尚無檢測結果。", "No assessment yet."),
    ("fresh.scheduled", "有固定頻率", "With a schedule"),
    ("fresh.late_list", "逾期資料集清單", "Late datasets"),
    ("fresh.export_csv", "匯出 CSV", "Export CSV"),
    ("fresh.export_xlsx", "匯出 Excel", "Export Excel"),
    ("fresh.export_ods", "匯出 ODS", "Export ODS"),
    ("fresh.no_late", "沒有逾期的資料集。", "No dataset is late."),
    ("fresh.dataset", "資料集", "Dataset"),
    ("fresh.days_late", "逾期天數", "Days late"),
    ("fresh.why", "判斷依據", "Why"),
    ("fresh.state", "狀態", "State"),
    (
        "fresh.more",
        "另有更多筆，請匯出完整清單：",
        "More not shown; export for the full list:",
    ),
    // agencies
    ("agency.title", "機關", "Agencies"),
    (
        "agency.lead",
        "桃園市政府的組織樹。上級機關的管理權限涵蓋其所屬機關。",
        "Taoyuan City Government's organisation tree. A grant on an agency covers the agencies under it.",
    ),
    ("agency.show", "顯示", "Show"),
    ("agency.show_active", "運作中", "Active"),
    ("agency.show_all", "全部", "All"),
    ("agency.show_retired", "已裁撤", "Retired"),
    ("agency.new", "新增機關", "New agency"),
    ("agency.import", "匯入機關", "Import agencies"),
    ("agency.edit", "修改機關資料", "Edit agency"),
    (
        "agency.empty",
        "目前沒有機關資料。",
        "There are no agencies yet.",
    ),
    (
        "agency.empty_admin",
        "目前沒有機關資料。請先新增市政府，或匯入機關清單。",
        "There are no agencies yet. Create the city government first, or import a list of agencies.",
    ),
    ("agency.count", "機關數", "Agencies"),
    ("agency.name", "名稱", "Name"),
    ("agency.name_zh", "中文名稱", "Chinese name"),
    ("agency.name_en", "英文名稱", "English name"),
    ("agency.short", "簡稱", "Short name"),
    ("agency.code", "機關代碼", "Agency code"),
    (
        "agency.code_help",
        "使用行政院機關代碼（例如 380120000J）；沒有正式代碼時可用自訂代碼。代碼建立後不可變更。",
        "Use the official agency code (e.g. 380120000J), or a local code when there is none. Codes never change.",
    ),
    ("agency.kind", "類型", "Kind"),
    ("agency.state", "狀態", "State"),
    ("agency.active", "運作中", "Active"),
    ("agency.retired", "已裁撤", "Retired"),
    ("agency.parent", "上級機關", "Parent agency"),
    (
        "agency.no_parent",
        "（無：市政府本身）",
        "(none: the city government itself)",
    ),
    ("agency.children", "所屬機關", "Agencies under it"),
    (
        "agency.no_children",
        "沒有所屬機關。",
        "No agencies under it.",
    ),
    ("agency.retired_at", "裁撤時間", "Retired on"),
    ("agency.successor", "業務承接機關", "Successor"),
    ("agency.successor_pick", "業務移由", "Work moves to"),
    ("agency.no_successor", "（無承接機關）", "(no successor)"),
    ("agency.retire", "裁撤此機關", "Retire this agency"),
    (
        "agency.retire_confirm",
        "確定要裁撤此機關嗎？紀錄會保留，之後也可恢復。",
        "Retire this agency? Its record is kept and it can be reactivated.",
    ),
    ("agency.reactivate", "恢復運作", "Reactivate"),
    ("agency.history", "異動紀錄", "History"),
    // imports
    (
        "import.lead",
        "上傳 CSV 檔（UTF-8）。同一個檔案匯入兩次不會產生重複資料；無法匯入的每一行都會列出原因。",
        "Upload a CSV file (UTF-8). Importing the same file twice creates no duplicates; every line that cannot be taken is listed with its reason.",
    ),
    ("import.format", "檔案格式", "File format"),
    (
        "import.format_csv",
        "civitas 機關清單（code, name_zh, name_en, short_name_zh, parent_code, kind）",
        "civitas agency list (code, name_zh, name_en, short_name_zh, parent_code, kind)",
    ),
    (
        "import.format_supply",
        "桃園市開放資料供應清單（取「資料集提供機關」欄）",
        "Taoyuan open-data supply list (its 資料集提供機關 column)",
    ),
    ("import.file", "檔案", "File"),
    (
        "import.file_help",
        "Big5 編碼的檔案請先另存為 UTF-8。",
        "Save Big5 files as UTF-8 first.",
    ),
    ("import.run", "開始匯入", "Import"),
    (
        "import.history",
        "查看過去的匯入紀錄",
        "See earlier imports",
    ),
    // catalogue harvests
    ("nav.harvest", "目錄採集", "Catalogue harvests"),
    ("harvest.title", "目錄採集來源", "Catalogue harvest sources"),
    (
        "harvest.lead",
        "系統依排程從其他資料目錄（CKAN、DCAT、政府資料開放平臺）採集資料集；來源中消失的資料集只標示為下架，不會刪除。只讀到一部分時不會下架任何資料集。",
        "civitas harvests datasets from other catalogues (CKAN, DCAT, data.gov.tw) on a schedule; datasets gone from a source are marked withdrawn, never deleted. A harvest that read only part of a source withdraws nothing.",
    ),
    (
        "harvest.none",
        "尚未設定採集來源。請在 civitas.toml 加入如下設定，再重新啟動服務：",
        "No harvest sources are configured. Add one to civitas.toml like this and restart the server:",
    ),
    (
        "harvest.none_hint",
        "所有設定項目與說明：civitas config print-default（[catalog] 段）。",
        "Every key and its meaning: civitas config print-default (the [catalog] section).",
    ),
    (
        "harvest.unconfigured",
        "已不在設定中",
        "no longer configured",
    ),
    ("harvest.interval", "採集頻率", "Interval"),
    ("harvest.next_run", "下次採集", "Next run"),
    ("harvest.requested", "已排入立即採集", "Run requested"),
    ("harvest.last_run", "最近一次採集", "Last run"),
    ("harvest.started", "開始", "Started"),
    ("harvest.finished", "結束", "Finished"),
    ("harvest.pages", "讀取頁數", "Pages read"),
    ("harvest.withdrawn", "下架", "Withdrawn"),
    (
        "harvest.complete",
        "已讀完來源的全部資料集。",
        "Every dataset the source lists was read.",
    ),
    (
        "harvest.incomplete",
        "未讀完來源：已讀取的資料已保存，未下架任何資料集；下次採集會補齊。",
        "The source was not read in full: what was read is kept and nothing was withdrawn; the next run completes it.",
    ),
    (
        "harvest.not_a_listing",
        "已讀完；此來源格式不是完整清單，因此不會下架任何資料集。",
        "Read in full; this source's format is not a complete listing, so nothing is withdrawn.",
    ),
    (
        "harvest.see_import",
        "查看這次匯入的每筆退回原因",
        "See every rejected record of this run",
    ),
    ("harvest.never", "尚未採集過。", "Not harvested yet."),
    ("harvest.run_now", "立即採集", "Run now"),
    ("harvest.running", "進行中", "running"),
    ("harvest.on_demand", "僅手動", "on demand only"),
    ("harvest.not_scheduled", "未排程", "not scheduled"),
    ("harvest.minutes", "每 {} 分鐘", "every {} min"),
    ("harvest.hours", "每 {} 小時", "every {} h"),
    ("harvest.days", "每 {} 天", "every {} days"),
    ("harvest.weeks", "每 {} 週", "every {} weeks"),
    ("harvest.by_schedule", "排程", "scheduled"),
    ("harvest.by_request", "手動要求", "requested"),
    ("harvest.by_cli", "命令列", "command line"),
    (
        "flash.harvest_queued",
        "已排入立即採集「{}」，數秒內開始。",
        "Harvest of '{}' queued; it starts within seconds.",
    ),
    ("import.runs", "匯入紀錄", "Imports"),
    (
        "import.runs_lead",
        "每次匯入的收到、寫入、重複與退回筆數；點選可看每一筆退回的原因。",
        "What each import received, stored, found duplicated and rejected; open one to see every rejected line and why.",
    ),
    ("import.none", "尚無匯入紀錄。", "No imports yet."),
    ("import.result", "匯入結果", "Import result"),
    ("import.kind", "類別", "Kind"),
    ("import.source", "來源", "Source"),
    ("import.received", "收到", "Received"),
    ("import.stored", "寫入", "Stored"),
    ("import.created", "新增", "Created"),
    ("import.updated", "更新", "Updated"),
    ("import.unchanged", "未變更", "Unchanged"),
    ("import.duplicates", "重複", "Duplicates"),
    ("import.rejected", "退回", "Rejected"),
    (
        "import.reconcile",
        "收到 = 新增 + 更新 + 未變更 + 重複 + 退回。",
        "Received = created + updated + unchanged + duplicates + rejected.",
    ),
    (
        "import.no_rejects",
        "沒有任何一筆被退回。",
        "Nothing was rejected.",
    ),
    ("import.rejected_lines", "退回的資料列", "Rejected lines"),
    ("import.line", "行號", "Line"),
    ("import.reason", "原因", "Reason"),
    ("import.raw", "原始內容", "As received"),
    // users
    ("user.title", "使用者", "Users"),
    ("user.search", "搜尋帳號或姓名", "Search name"),
    ("user.new", "新增使用者", "New user"),
    ("user.create", "建立帳號", "Create account"),
    ("user.empty", "目前沒有使用者。", "There are no users yet."),
    ("user.no_match", "沒有符合的使用者。", "No user matches."),
    ("user.name", "帳號", "User name"),
    (
        "user.name_help",
        "小寫英文字母、數字或 . _ -，例如 amy.chen。建立後不可變更。",
        "Lowercase letters, digits, '.', '_' or '-', e.g. amy.chen. It never changes.",
    ),
    ("user.display_name", "姓名", "Display name"),
    ("user.email", "電子郵件", "E-mail"),
    ("user.agency", "所屬機關", "Agency"),
    ("user.no_agency", "（未指定）", "(none)"),
    ("user.roles", "角色", "Roles"),
    ("user.role", "角色", "Role"),
    ("user.no_role", "（稍後再授予）", "(grant later)"),
    ("user.first_role", "授予角色", "Grant a role"),
    ("user.role_scope", "適用機關", "For agency"),
    ("user.city_wide", "全市", "city-wide"),
    ("user.state", "狀態", "State"),
    ("user.active", "啟用", "Active"),
    ("user.disabled", "已停用", "Disabled"),
    ("user.locked", "暫時鎖定", "Locked"),
    ("user.last_login", "最近登入", "Last sign-in"),
    ("user.initial_password", "初始密碼", "Initial password"),
    (
        "user.failed_logins",
        "連續登入失敗次數",
        "Failed sign-ins in a row",
    ),
    ("user.locked_until", "鎖定至", "locked until"),
    (
        "user.password_changed",
        "密碼最後變更",
        "Password last changed",
    ),
    ("user.no_grants", "尚未授予任何角色。", "No roles granted."),
    ("user.granted", "授予時間與授予人", "Granted (when, by)"),
    ("user.revoke", "移除", "Remove"),
    (
        "user.revoke_confirm",
        "確定要移除這個角色嗎？",
        "Remove this role?",
    ),
    ("user.add_role", "增加角色", "Add a role"),
    ("user.add_role_button", "授予", "Grant"),
    ("user.profile", "帳號資料", "Account details"),
    (
        "user.active_check",
        "帳號啟用中（取消勾選即停用並登出）",
        "Account active (untick to disable and sign out)",
    ),
    ("user.reset_password", "重設密碼", "Reset password"),
    (
        "user.reset_password_button",
        "重設並登出此使用者",
        "Reset and sign them out",
    ),
    ("user.unlock", "解除鎖定", "Unlock"),
    // my account
    ("account.title", "我的帳號", "My account"),
    ("account.preferences", "顯示偏好", "Display preferences"),
    ("account.language", "語言", "Language"),
    ("account.date_style", "日期格式", "Date format"),
    (
        "account.date_roc",
        "民國紀年（民國113年1月1日）",
        "ROC calendar (民國113年1月1日)",
    ),
    ("account.date_iso", "西元（2024-01-01）", "ISO (2024-01-01)"),
    ("account.password", "變更密碼", "Change password"),
    ("account.change_password", "變更密碼", "Change password"),
    (
        "account.password_done",
        "密碼已變更；其他裝置上的登入已全部登出。",
        "Password changed; you were signed out everywhere else.",
    ),
    ("password.current", "目前的密碼", "Current password"),
    ("password.new", "新密碼", "New password"),
    (
        "password.help",
        "至少 12 個字元，不可包含帳號名稱。一句好記的短句最安全也最好記。",
        "At least 12 characters, not containing the user name. A short sentence is safe and easy to remember.",
    ),
    // tokens
    ("token.title", "我的 API 權杖", "My API tokens"),
    (
        "token.lead",
        "讓程式以您的身分呼叫 civitas API。權杖只帶有您勾選的角色，到期或撤銷後立即失效。",
        "Let a program call the civitas API as you. A token carries only the roles you tick and stops working when it expires or is revoked.",
    ),
    ("token.create", "建立權杖", "Create a token"),
    ("token.create_button", "建立", "Create"),
    ("token.label", "名稱", "Name"),
    (
        "token.label_help",
        "寫下使用它的程式，例如「每晚匯出稽核紀錄」。",
        "Say what uses it, e.g. 'nightly audit export'.",
    ),
    ("token.roles", "角色", "Roles"),
    ("token.days", "有效天數", "Valid for (days)"),
    (
        "token.no_roles",
        "您尚未被授予任何角色，因此無法建立權杖。",
        "You hold no roles, so a token would be useless.",
    ),
    (
        "token.shown_once",
        "新的權杖（只會顯示這一次）",
        "Your new token (shown only this once)",
    ),
    (
        "token.copy_now",
        "請現在複製並妥善保存；civitas 只保存它的雜湊值，之後無法再查看。",
        "Copy it now and keep it safe; civitas keeps only its hash and cannot show it again.",
    ),
    ("token.usage", "使用方式：", "Use it as:"),
    ("token.mine", "我的權杖", "My tokens"),
    (
        "token.none",
        "您還沒有任何權杖。",
        "You have no tokens yet.",
    ),
    ("token.prefix", "開頭", "Starts with"),
    ("token.expires", "到期", "Expires"),
    ("token.last_used", "最近使用", "Last used"),
    ("token.active", "有效", "Active"),
    ("token.expired", "已過期", "Expired"),
    ("token.revoked", "已撤銷", "Revoked"),
    ("token.revoke", "撤銷", "Revoke"),
    (
        "token.revoke_confirm",
        "確定要撤銷這個權杖嗎？使用它的程式將立即無法存取。",
        "Revoke this token? Programs using it lose access at once.",
    ),
    // audit
    ("audit.title", "稽核軌跡", "Audit trail"),
    (
        "audit.lead",
        "每一次登入與異動都記錄於此：誰、代表哪個機關、做了什麼、何時、從哪裡。紀錄以雜湊鏈串接，任何竄改、刪除或調換都會被發現。",
        "Every sign-in and change is recorded here: who, for which agency, what, when and from where. Entries are hash-chained, so altering, deleting or reordering any of them is detected.",
    ),
    (
        "audit.chain_ok",
        "雜湊鏈完整。",
        "The hash chain is intact.",
    ),
    (
        "audit.chain_bad",
        "雜湊鏈遭破壞！",
        "The hash chain is broken!",
    ),
    (
        "audit.chain_unknown",
        "尚未驗證雜湊鏈。",
        "The hash chain has not been verified yet.",
    ),
    ("audit.verify_now", "立即驗證", "Verify now"),
    ("audit.from", "起日", "From"),
    ("audit.to", "迄日", "To"),
    ("audit.when", "時間", "When"),
    ("audit.who", "人員", "Who"),
    ("audit.what", "動作", "Action"),
    ("audit.object", "對象", "Object"),
    ("audit.agency", "代表機關", "For agency"),
    ("audit.ip", "來源位址", "From address"),
    ("audit.summary", "異動內容", "Change"),
    ("audit.outcome", "結果", "Outcome"),
    ("audit.any", "（全部）", "(any)"),
    ("audit.success", "成功", "Success"),
    ("audit.failure", "失敗", "Failure"),
    ("audit.denied", "拒絕", "Denied"),
    ("audit.export", "匯出 CSV", "Export CSV"),
    ("audit.empty", "沒有符合條件的紀錄。", "No entries match."),
    // actions in the audit trail
    ("action.auth", "登入與登出", "Sign-in and sign-out"),
    ("action.auth.login", "登入", "Sign-in"),
    ("action.auth.logout", "登出", "Sign-out"),
    ("action.user", "帳號異動", "Account changes"),
    ("action.user.create", "建立帳號", "Account created"),
    ("action.user.update", "修改帳號", "Account changed"),
    ("action.user.disable", "停用帳號", "Account disabled"),
    ("action.user.enable", "啟用帳號", "Account enabled"),
    (
        "action.user.preferences",
        "變更顯示偏好",
        "Preferences changed",
    ),
    ("action.user.grant", "授予角色", "Role granted"),
    ("action.user.revoke", "移除角色", "Role removed"),
    ("action.user.lock", "帳號鎖定", "Account locked"),
    ("action.user.unlock", "解除鎖定", "Account unlocked"),
    (
        "action.user.password_change",
        "變更密碼",
        "Password changed",
    ),
    ("action.user.password_reset", "重設密碼", "Password reset"),
    ("action.token", "API 權杖", "API tokens"),
    ("action.token.create", "建立權杖", "Token created"),
    ("action.token.revoke", "撤銷權杖", "Token revoked"),
    ("action.agency", "機關異動", "Agency changes"),
    ("action.agency.create", "新增機關", "Agency created"),
    ("action.agency.update", "修改機關", "Agency changed"),
    ("action.agency.retire", "裁撤機關", "Agency retired"),
    ("action.agency.reactivate", "恢復機關", "Agency reactivated"),
    ("action.agency.import", "匯入機關", "Agencies imported"),
    (
        "action.audit.export",
        "匯出稽核軌跡",
        "Audit trail exported",
    ),
    // messages after a change
    ("flash.signed_out", "您已登出。", "You are signed out."),
    ("flash.saved", "已儲存。", "Saved."),
    (
        "flash.dataset_created",
        "已新增資料集「{}」。",
        "Dataset registered: {}.",
    ),
    (
        "flash.agency_created",
        "已新增機關 {}。",
        "Agency {} created.",
    ),
    (
        "flash.agency_retired",
        "已裁撤機關 {}。",
        "Agency {} retired.",
    ),
    (
        "flash.user_created",
        "已建立帳號 {}。請以安全的方式告知初始密碼。",
        "Account {} created. Pass on the initial password safely.",
    ),
    (
        "flash.role_added",
        "已為 {} 授予角色。",
        "Role granted to {}.",
    ),
    (
        "flash.role_removed",
        "已移除 {} 的角色。",
        "Role removed from {}.",
    ),
    (
        "flash.password_reset",
        "已重設 {} 的密碼，並登出其所有裝置。",
        "Password of {} reset; they were signed out everywhere.",
    ),
    (
        "flash.password_changed",
        "密碼已變更；其他裝置上的登入已全部登出。",
        "Password changed; you were signed out everywhere else.",
    ),
    ("flash.unlocked", "已解除 {} 的鎖定。", "{} unlocked."),
    (
        "flash.token_revoked",
        "已撤銷權杖「{}」。",
        "Token '{}' revoked.",
    ),
    // sharing and use
    ("nav.usage", "資料使用與效益", "Use and benefit"),
    (
        "tile.usage",
        "各資料集與機關的瀏覽、下載與 API 使用量，以及無人使用的資料集。",
        "Views, downloads and API calls per dataset and agency, and datasets nobody uses.",
    ),
    ("sharing.title", "跨機關資料共享", "Data sharing"),
    (
        "sharing.lead",
        "向其他機關申請資料、審核收到的申請，並管理已核准的授權。每一次資料存取都會留下紀錄。",
        "Ask other agencies for data, decide the requests you receive, and manage approved grants. Every access to data is recorded.",
    ),
    ("sharing.numbers", "申請統計", "Request figures"),
    ("sharing.stat_total", "申請件數", "Requests"),
    ("sharing.stat_open", "審核中", "Waiting"),
    (
        "sharing.stat_approved",
        "已核准（含部分）",
        "Approved (incl. in part)",
    ),
    ("sharing.stat_refused", "不予核准", "Refused"),
    (
        "sharing.stat_median",
        "核准中位天數",
        "Median days to approval",
    ),
    ("sharing.waiting", "待我審核", "Waiting for my decision"),
    (
        "sharing.waiting_none",
        "目前沒有等您審核的申請。",
        "No requests are waiting for your decision.",
    ),
    (
        "sharing.mine",
        "本機關提出的申請",
        "Requests from my agency",
    ),
    (
        "sharing.mine_none",
        "貴機關尚未提出申請。需要其他機關的資料時，請在資料目錄找到該資料集，按「申請取用」。",
        "Your agency has not asked for data yet. When you need another agency's data, find the dataset in the catalogue and choose \"Ask for access\".",
    ),
    (
        "sharing.find_restricted",
        "瀏覽限制取用的資料集",
        "Browse restricted datasets",
    ),
    (
        "sharing.find_personal",
        "瀏覽含個人資料的資料集",
        "Browse datasets with personal data",
    ),
    ("sharing.grants", "有效的授權", "Active grants"),
    (
        "sharing.grants_none",
        "目前沒有有效的授權。",
        "There are no active grants.",
    ),
    (
        "sharing.others",
        "其他機關間的申請",
        "Requests between other agencies",
    ),
    (
        "sharing.how",
        "流程：需求機關提出申請（目的、法律依據、所需欄位與期間）→ 提供機關資料管理人核准、部分核准或附理由不予核准（含個人資料者需兩位不同人員核准）→ 核准後產生有期限的授權，以資料 API 或下載取得資料。",
        "How it works: the requesting agency files a request (purpose, legal basis, fields, period) → a steward of the providing agency approves, approves in part or refuses with a reason (personal data needs two different approvers) → an approval becomes a grant with an expiry, and the data is read through the data API or downloaded.",
    ),
    ("sharing.no", "編號", "No."),
    ("sharing.dataset_page", "資料集頁面", "dataset page"),
    ("sharing.dataset", "資料集", "Dataset"),
    ("sharing.from", "申請機關", "Requesting agency"),
    ("sharing.to", "提供機關", "Providing agency"),
    ("sharing.filed", "申請日期", "Filed"),
    ("sharing.status", "狀態", "Status"),
    ("sharing.provider", "提供機關", "Providing agency"),
    ("sharing.grantee", "取用機關", "Grantee agency"),
    ("sharing.fields", "可取用欄位", "Fields"),
    ("sharing.until", "有效至", "Valid until"),
    ("sharing.all_fields", "全部欄位", "All fields"),
    ("sharing.request_title", "資料共享申請", "Sharing request"),
    ("sharing.request_lead", "申請取用：", "Asking for:"),
    (
        "sharing.personal_notice",
        "此資料集含個人資料：請填寫法律依據，並只勾選業務必要的欄位。申請須經提供機關兩位不同人員核准。",
        "This dataset contains personal data: give the legal basis and choose only the fields your task needs. Two different people of the providing agency must approve.",
    ),
    ("sharing.asking_agency", "申請機關", "Requesting agency"),
    (
        "sharing.no_agency",
        "您的帳號沒有可代表申請的機關，請洽平台管理者設定所屬機關。",
        "Your account cannot ask on behalf of any agency; ask an administrator to set your home agency.",
    ),
    ("sharing.purpose", "申請目的", "Purpose"),
    (
        "sharing.purpose_help",
        "說明要用在哪項業務，例如「獨居長者關懷訪視排程」。",
        "Say which task the data is for, e.g. \"scheduling visits to elderly people living alone\".",
    ),
    ("sharing.legal_basis", "法律依據", "Legal basis"),
    (
        "sharing.legal_help",
        "例如：個人資料保護法第 16 條第 2 款，及業務所依據的法規條文。",
        "E.g. Personal Data Protection Act art. 16(2), and the law your task rests on.",
    ),
    ("sharing.fields_needed", "所需欄位", "Fields needed"),
    (
        "sharing.fields_help",
        "只勾選業務需要的欄位；都不勾選表示申請全部欄位。",
        "Choose only the fields you need; choosing none asks for all fields.",
    ),
    (
        "sharing.no_field_list",
        "此資料集未列出欄位，將申請全部欄位。",
        "This dataset lists no fields; the request covers all of them.",
    ),
    ("sharing.period", "資料期間", "Period of data"),
    ("sharing.period_from", "起", "From"),
    ("sharing.period_to", "迄", "To"),
    ("sharing.days", "使用期間（天）", "Days of access"),
    ("sharing.submit", "送出申請", "Send the request"),
    ("sharing.request_no", "申請", "Request"),
    ("sharing.personal", "含個人資料", "Personal data"),
    ("sharing.first_approver", "第一位核准人", "First approver"),
    ("sharing.decided_by", "決定人", "Decided by"),
    ("sharing.reason", "理由", "Reason"),
    ("sharing.granted_fields", "核准欄位", "Fields granted"),
    (
        "sharing.see_grant",
        "查看授權與資料金鑰",
        "See the grant and its data keys",
    ),
    (
        "sharing.second_wait",
        "已由第一位人員核准，等待提供機關另一位人員第二次核准。",
        "Approved once; waiting for a second, different person of the providing agency.",
    ),
    ("sharing.decide", "審核", "Decide"),
    (
        "sharing.first_help",
        "此資料集含個人資料：您的核准是第一次核准，還需另一位人員第二次核准才會生效。",
        "This dataset contains personal data: your approval is the first; another person must approve before it takes effect.",
    ),
    (
        "sharing.second_help",
        "您是第二位核准人：確認欄位與期間後核准，授權即生效。",
        "You are the second approver: check the fields and the period, then approve to make the grant.",
    ),
    ("sharing.decision", "決定", "Decision"),
    ("sharing.approve", "核准", "Approve"),
    (
        "sharing.approve_in_part",
        "部分核准（只提供勾選的欄位）",
        "Approve in part (only the fields ticked)",
    ),
    ("sharing.refuse", "不予核准", "Refuse"),
    (
        "sharing.part_fields",
        "核准的欄位（部分核准時使用）",
        "Fields to grant (for approval in part)",
    ),
    ("sharing.grant_days", "核准天數", "Days granted"),
    (
        "sharing.reason_help",
        "部分核准與不予核准時必填，申請機關會看到這段說明。",
        "Required when approving in part or refusing; the requesting agency sees it.",
    ),
    (
        "sharing.record_decision",
        "送出審核結果",
        "Record the decision",
    ),
    ("sharing.withdraw", "撤回申請", "Withdraw the request"),
    (
        "sharing.withdraw_confirm",
        "確定要撤回這件申請嗎？",
        "Withdraw this request?",
    ),
    ("sharing.grant_title", "資料取用授權", "Sharing grant"),
    ("sharing.active", "有效", "Active"),
    ("sharing.inactive", "已失效", "Not active"),
    ("sharing.valid", "有效期間", "Valid"),
    ("sharing.approved_by", "核准人", "Approved by"),
    ("sharing.revoked_at", "終止時間", "Revoked"),
    ("sharing.use_data", "如何取得資料", "How to get the data"),
    (
        "sharing.use_data_help",
        "登入後可在資料集頁面預覽與下載；系統介接請建立資料金鑰，金鑰只能讀取這項授權的資料，授權到期或終止即失效。",
        "Signed in, preview and download on the dataset's page; for a system, create a data key: it reads this grant's data only and stops working when the grant ends.",
    ),
    (
        "sharing.key_once",
        "請立即複製這把資料金鑰，它只會顯示這一次：",
        "Copy this data key now; it is shown only once:",
    ),
    ("sharing.keys", "資料金鑰", "Data keys"),
    (
        "sharing.keys_none",
        "尚未建立資料金鑰。",
        "No data keys yet.",
    ),
    ("sharing.key_label", "用途", "Used by"),
    ("sharing.key_prefix", "開頭", "Starts with"),
    ("sharing.key_owner", "建立者", "Owner"),
    ("sharing.key_created", "建立日期", "Created"),
    ("sharing.key_used", "最近使用", "Last used"),
    ("sharing.key_revoke", "撤銷", "Revoke"),
    (
        "sharing.key_placeholder",
        "例如：長照訪視排程系統",
        "e.g. the visit scheduling system",
    ),
    ("sharing.key_create", "建立資料金鑰", "Create a data key"),
    ("sharing.revoke", "終止授權", "Revoke the grant"),
    (
        "sharing.revoke_confirm",
        "確定要終止這項授權嗎？對方將立即無法取用資料。",
        "Revoke this grant? The grantee loses access at once.",
    ),
    ("sharing.data_access", "資料取用", "Access to the data"),
    (
        "sharing.read_under_grant",
        "貴機關已獲授權，可取用核准的欄位。",
        "Your agency holds a grant and may read the granted fields.",
    ),
    (
        "sharing.read_whole",
        "您可以取用此資料集的全部資料。",
        "You may read all of this dataset's data.",
    ),
    ("sharing.download_file", "下載檔案", "Download the file"),
    (
        "sharing.preview",
        "預覽前 20 筆",
        "Preview the first 20 rows",
    ),
    (
        "sharing.no_file",
        "此資料集尚未在平台上傳檔案；資料請由上方資料資源連結取得。",
        "No file has been uploaded here; use the links under distributions above.",
    ),
    (
        "sharing.need_grant",
        "此資料集的資料需經提供機關核准才能取用。",
        "This dataset's data can be read only with the providing agency's approval.",
    ),
    ("sharing.ask", "申請取用", "Ask for access"),
    (
        "sharing.upload_label",
        "上傳新版資料檔",
        "Upload a new data file",
    ),
    ("sharing.upload", "上傳", "Upload"),
    (
        "sharing.upload_help",
        "上傳內容有變更時視為資料已更新（更新檢測會採用）；內容相同的檔案不會重複計算。CSV 可直接透過資料 API 提供。",
        "New content counts as a data update for freshness; the same content again does not. CSV files are also served through the data API.",
    ),
    (
        "sharing.requests_for",
        "此資料集的申請",
        "Requests for this dataset",
    ),
    ("sharing.preview_of", "顯示", "Showing"),
    (
        "sharing.preview_limited",
        "依授權只顯示核准的欄位",
        "only the granted fields, as the grant allows",
    ),
    ("usage.title", "資料使用與效益", "Use and benefit"),
    (
        "usage.lead",
        "各資料集的瀏覽、下載與 API 使用次數，有多少其他機關使用，以及期間內無人使用的資料集。",
        "Views, downloads and API calls per dataset, how many other agencies use it, and the datasets nobody used in the period.",
    ),
    ("usage.months", "期間（月）", "Period (months)"),
    ("usage.all_agencies", "全部機關", "All agencies"),
    ("usage.show", "顯示", "Show"),
    ("usage.views", "瀏覽", "Views"),
    ("usage.downloads", "下載", "Downloads"),
    ("usage.api_calls", "API 呼叫", "API calls"),
    ("usage.used", "有人使用的資料集", "Datasets used"),
    ("usage.unused", "無人使用的資料集", "Datasets nobody used"),
    ("usage.requests", "共享申請", "Sharing requests"),
    ("usage.top", "使用最多的資料集", "Most used datasets"),
    (
        "usage.export",
        "匯出全部資料集使用量",
        "Export use of every dataset",
    ),
    (
        "usage.none",
        "期間內還沒有任何使用紀錄。資料集頁面的瀏覽、檔案下載與資料 API 呼叫都會自動計入。",
        "No use recorded in the period yet. Views of dataset pages, downloads and data API calls are counted automatically.",
    ),
    ("usage.agencies", "使用機關數", "Consuming agencies"),
    ("usage.last_used", "最近使用", "Last used"),
    (
        "usage.by_agency",
        "各機關資料的使用",
        "Use of each agency's data",
    ),
    ("usage.datasets", "資料集", "Datasets"),
    ("usage.uses", "使用次數", "Uses"),
    (
        "usage.unused_title",
        "期間內無人使用的資料集",
        "Datasets nobody used in the period",
    ),
    (
        "usage.unused_help",
        "這些資料集在期間內沒有任何瀏覽、下載或 API 呼叫，可檢討是否仍需維護或需要推廣。",
        "These datasets had no views, downloads or API calls in the period: review whether they are still worth maintaining, or need promoting.",
    ),
    (
        "usage.unused_more",
        "只列出前 100 筆；完整清單請使用上方匯出。",
        "Only the first 100 are listed; export for the full list.",
    ),
    (
        "usage.unused_none",
        "期間內每個資料集都有人使用。",
        "Every dataset was used in the period.",
    ),
    ("usage.title_dataset", "使用情形", "Use"),
    (
        "usage.past_year",
        "近 12 個月；不含提供機關自己的使用於「使用機關數」。",
        "The past 12 months; consuming agencies exclude the providing agency itself.",
    ),
    ("usage.log", "存取紀錄", "Access log"),
    ("usage.agency", "機關", "Agency"),
    ("usage.kind", "方式", "How"),
    ("usage.rows", "筆數", "Rows"),
    ("usage.kind_view", "瀏覽", "View"),
    ("usage.kind_download", "下載", "Download"),
    ("usage.kind_api", "API", "API"),
    (
        "flash.request_filed",
        "已送出「{}」的資料共享申請，提供機關的資料管理人會收到待審核通知。",
        "Your request for '{}' was sent; the providing agency's stewards will see it waiting.",
    ),
    (
        "flash.request_decided",
        "已記錄審核結果：{}。",
        "Decision recorded: {}.",
    ),
    (
        "flash.request_withdrawn",
        "已撤回「{}」的申請。",
        "The request for '{}' was withdrawn.",
    ),
    (
        "flash.grant_revoked",
        "已終止「{}」的授權。",
        "The grant for '{}' was revoked.",
    ),
    (
        "flash.uploaded",
        "已上傳 {}，資料更新時間已記錄。",
        "{} uploaded; the data update is recorded.",
    ),
    (
        "flash.upload_same",
        "{} 與目前的檔案內容相同，未視為資料更新。",
        "{} has the same content as the current file; not counted as a data update.",
    ),
    ("work.title", "我的待辦", "My worklist"),
    ("work.lead", "您負責的機關：", "Agencies you look after:"),
    (
        "work.requests",
        "待我審核的共享申請",
        "Sharing requests waiting for me",
    ),
    (
        "work.due",
        "需要更新或確認的資料集",
        "Datasets to update or confirm",
    ),
    (
        "work.due_none",
        "您負責的資料集都已按時更新，目前沒有需要處理的項目。",
        "Every dataset you look after is up to date; nothing needs doing.",
    ),
    (
        "work.due_help",
        "最急的在前：已嚴重逾期、逾期、連結失效、即將到期、待確認。更新資料後上傳新檔，或在資料集頁面按「已確認，無新資料」。",
        "Most urgent first: delinquent, overdue, unreachable, due soon, review due. Upload the new file after updating, or choose \"reviewed, nothing new\" on the dataset's page.",
    ),
    (
        "work.due_more",
        "只列出前 100 筆，完整清單見",
        "Only the first 100 are listed; the full list is under",
    ),
    (
        "work.decided",
        "我提出的申請結果",
        "Decisions on my requests",
    ),
    (
        "work.decided_none",
        "您提出的申請還沒有審核結果。",
        "None of your requests has been decided yet.",
    ),
    ("nav.worklist", "我的待辦", "My worklist"),
    ("usage.trend", "每日使用量", "Use per day"),
    (
        "usage.trend_empty",
        "累積兩天以上的使用紀錄後，這裡會顯示每日趨勢圖。",
        "Once there are two days of use, the daily trend appears here.",
    ),
];

#[path = "i18n_inventory.rs"]
mod inventory_text;

#[path = "i18n_alerts.rs"]
mod alerts_text;

#[path = "i18n_exchange.rs"]
mod exchange_text;

#[path = "i18n_incident_measures.rs"]
mod incident_measures_text;
#[path = "i18n_incidents.rs"]
mod incidents_text;

static INDEX: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> = LazyLock::new(|| {
    TEXT.iter()
        .chain(inventory_text::TEXT)
        .chain(alerts_text::TEXT)
        .chain(exchange_text::TEXT)
        .chain(incidents_text::TEXT)
        .chain(incident_measures_text::TEXT)
        .map(|(k, zh, en)| (*k, (*zh, *en)))
        .collect()
});

/// The text for `key` in `lang`, if there is any.
pub fn get(lang: Language, key: &str) -> Option<&'static str> {
    INDEX.get(key).map(|(zh, en)| match lang {
        Language::ZhTw => *zh,
        Language::En => *en,
    })
}

/// The text for `key` in `lang`. A missing key shows as "⚠" (a test keeps that from shipping).
pub fn t(lang: Language, key: &str) -> &'static str {
    get(lang, key).unwrap_or("⚠")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_both_languages_are_written() {
        let mut seen = std::collections::HashSet::new();
        for (key, zh, en) in TEXT {
            assert!(seen.insert(key), "{key} twice");
            assert!(!zh.is_empty() && !en.is_empty(), "{key} lacks a language");
        }
    }

    #[test]
    fn every_key_a_template_or_handler_uses_exists() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"));
        let mut missing = Vec::new();
        let mut files = Vec::new();
        for dir in [
            "templates",
            "templates/agencies",
            "templates/users",
            "templates/imports",
            "templates/catalog",
            "templates/sharing",
            "templates/inventory",
            "templates/alerts",
            "templates/exchange",
            "templates/incidents",
            "src",
            "src/ui",
            "src/api",
        ] {
            for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    files.push(path);
                }
            }
        }
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("t(\"").skip(1) {
                let key = piece.split('"').next().unwrap();
                let looks_like_key = key.contains('.')
                    && key.chars().all(|c| {
                        c.is_ascii_lowercase() || c == '.' || c == '_' || c.is_ascii_digit()
                    });
                if looks_like_key && !INDEX.contains_key(key) && !key.ends_with('.') {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(missing.is_empty(), "missing i18n keys: {missing:#?}");
    }
}
