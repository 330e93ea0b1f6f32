//! Behaviour of the shipped packs on the span conventions of
//! `shared/eval/README.md`: what is found, with which exact span, and what not.

use std::path::Path;
use std::sync::OnceLock;

use releasegate::scan::{Detection, ScanHints, Scanner};

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| {
        Scanner::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")).expect("packs load")
    })
}

fn found(text: &str) -> Vec<(String, &str)> {
    spans(text, &scanner().scan(text))
}

fn spans<'t>(text: &'t str, dets: &[Detection]) -> Vec<(String, &'t str)> {
    dets.iter()
        .map(|d| (d.entity.clone(), &text[d.start..d.end]))
        .collect()
}

fn assert_finds(text: &str, entity: &str, value: &str) {
    let f = found(text);
    assert!(
        f.iter().any(|(e, v)| e == entity && *v == value),
        "{text:?}: want {entity} {value:?}, got {f:?}"
    );
}

/// The person names found in `text`, in order.
fn names_in(text: &str) -> Vec<&str> {
    found(text)
        .into_iter()
        .filter(|(e, _)| e == "PERSON_NAME")
        .map(|(_, v)| v)
        .collect()
}

fn assert_none(text: &str, entity: &str) {
    let f = found(text);
    assert!(
        !f.iter().any(|(e, _)| e == entity),
        "{text:?}: unexpected {entity} in {f:?}"
    );
}

#[test]
fn identity_numbers() {
    assert_finds(
        "身份证号11010519491231002X与户口簿一致",
        "CN_ID_CARD",
        "11010519491231002X",
    );
    assert_finds(
        "身份证：110105 19491231 002x。",
        "CN_ID_CARD",
        "110105 19491231 002x",
    );
    assert_finds(
        "证号１１０１０５１９４９１２３１００２Ｘ",
        "CN_ID_CARD",
        "１１０１０５１９４９１２３１００２Ｘ",
    );
    assert_finds("旧证420202740823045。", "CN_ID_CARD", "420202740823045");
    assert_none("110105194912310021", "CN_ID_CARD"); // check character
    assert_none("110105198502300027", "CN_ID_CARD"); // Feb 30
    assert_none("420***********1234 4207041985****1234", "CN_ID_CARD");
    assert_none("流水号811010519491231002X9", "CN_ID_CARD");
}

#[test]
fn phones() {
    assert_finds("手机：138-1234-5678。", "CN_MOBILE", "138-1234-5678");
    assert_finds("tel +86 138 1234 5678", "CN_MOBILE", "+86 138 1234 5678");
    assert_finds("（+86）13812345678", "CN_MOBILE", "（+86）13812345678");
    assert_finds("008613812345678", "CN_MOBILE", "008613812345678");
    assert_none(
        "138****5678 12812345678 序列号1381234567813812345678",
        "CN_MOBILE",
    );
    assert_finds(
        "电话：0711-3201234转123。",
        "CN_LANDLINE",
        "0711-3201234转123",
    );
    assert_finds("电话（027）87654321", "CN_LANDLINE", "（027）87654321");
    assert_finds("热线400-880-1234", "CN_LANDLINE", "400-880-1234");
    assert_none("拨打12345或110", "CN_LANDLINE");
}

#[test]
fn cards_codes_and_mail() {
    assert_finds(
        "卡号6222 0296 2879 1106 296，",
        "BANK_CARD",
        "6222 0296 2879 1106 296",
    );
    assert_finds(
        "卡号4111-1111-1111-1111",
        "BANK_CARD",
        "4111-1111-1111-1111",
    );
    assert_none("6222 **** **** 1234 尾号1234 4111111111111112", "BANK_CARD");
    assert_finds("代码：91350100M000100Y43", "CN_USCC", "91350100M000100Y43");
    assert_none("代码：91350100M000100Y44", "CN_USCC");
    assert_finds(
        "请发送至zhang@ezhou.gov.cn。",
        "EMAIL",
        "zhang@ezhou.gov.cn",
    );
    assert_finds("<mailto:Li.Ming@163.COM>", "EMAIL", "Li.Ming@163.COM");
    assert_none("zh****@163.com 关注@鄂州发布", "EMAIL");
}

#[test]
fn travel_documents_need_context() {
    assert_finds("护照号码：E12345678", "CN_PASSPORT", "E12345678");
    assert_finds("Passport No. EA1234567", "CN_PASSPORT", "EA1234567");
    assert_finds(
        "姓名,护照号码\n张三,G12345678\n",
        "CN_PASSPORT",
        "G12345678",
    );
    assert_none("资产编号E12345678", "CN_PASSPORT");
    assert_finds("往来港澳通行证：C12345678", "CN_HKMO_PERMIT", "C12345678");
    assert_finds("回乡证号H1234567890", "CN_HKMO_PERMIT", "H1234567890");
    assert_none("档案盒号C12345678", "CN_HKMO_PERMIT");
    let hints = ScanHints {
        column_header: Some("护照号码"),
    };
    let d = scanner().scan_with("E12345678", &hints);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].entity, "CN_PASSPORT");
}

#[test]
fn plates() {
    assert_finds("车牌号鄂G·A1234，", "CN_LICENSE_PLATE", "鄂G·A1234");
    assert_finds("鄂GD12345", "CN_LICENSE_PLATE", "鄂GD12345");
    assert_finds("鄂G12345D", "CN_LICENSE_PLATE", "鄂G12345D");
    assert_finds("鄂Ａ１２３４５", "CN_LICENSE_PLATE", "鄂Ａ１２３４５");
    assert_none("鄂G·2**45 鄂G***** 鄂1872170374", "CN_LICENSE_PLATE");
}

#[test]
fn ip_addresses() {
    assert_finds("访问10.1.2.3:8080/api", "IP_ADDRESS", "10.1.2.3");
    assert_finds("[2001:db8::1]:443", "IP_ADDRESS", "2001:db8::1");
    assert_none(
        "283.225.99.169 1.3.6.1.4.1.2011 第1.2.3.4.5款 v2.10.3 192.168.1.* 10.x.x.x",
        "IP_ADDRESS",
    );
    assert_none("MAC 00:1A:2B:3C:4D:5E", "IP_ADDRESS");
}

#[test]
fn coordinates() {
    assert_finds(
        "位置：30.391245, 114.894732。",
        "GEO_COORDINATE",
        "30.391245, 114.894732",
    );
    assert_finds(
        "北纬30°23′28″ 东经114°53′41″",
        "GEO_COORDINATE",
        "北纬30°23′28″ 东经114°53′41″",
    );
    assert_finds(
        "at N29.882454, E114.024725.",
        "GEO_COORDINATE",
        "N29.882454, E114.024725",
    );
    assert_none(
        "30.39, 114.89 东经114°40′ 东经114.1度、北纬30.5度",
        "GEO_COORDINATE",
    );
}

#[test]
fn classification_marks() {
    assert_finds("绝密★长期\n关于…的通知", "CLASSIFICATION_MARK", "绝密★长期");
    assert_finds(
        "【机密 ★ 10年】\n正文",
        "CLASSIFICATION_MARK",
        "机密 ★ 10年",
    );
    assert_finds("密级：秘密\n", "CLASSIFICATION_MARK", "密级：秘密");
    assert_finds(
        "附件：涉密设备清单（秘密★1年）",
        "CLASSIFICATION_MARK",
        "秘密★1年",
    );
    assert_finds(
        "内部资料，注意保存\n",
        "CLASSIFICATION_MARK",
        "内部资料，注意保存",
    );
    assert_finds(
        "文件名,密级,期限\n方案,机密,10年\n",
        "CLASSIFICATION_MARK",
        "机密",
    );
    for prose in [
        "不得将涉及国家秘密信息资源开放",
        "保护国家秘密、商业秘密和个人隐私",
        "密级分为绝密、机密、秘密三级",
        "原定密级为秘密，已解密",
        "对标注“内部资料”的文件严格管理",
        "密级：公开",
        "（此件不予公开）",
    ] {
        assert_none(prose, "CLASSIFICATION_MARK");
    }
}

#[test]
fn secrets() {
    assert_finds("DB_PASSWORD=s3cr3t!x\n", "SECRET_KEY", "s3cr3t!x");
    assert_finds("{\"password\": \"p@ss w0rd\"}", "SECRET_KEY", "p@ss");
    assert_finds(
        "redis-server --requirepass Zx9!abc",
        "SECRET_KEY",
        "Zx9!abc",
    );
    assert_finds(
        "jdbc:mysql://h/db?user=root&password=admin6706Zx!&ssl=1",
        "SECRET_KEY",
        "admin6706Zx!",
    );
    assert_finds("redis://:hunter22@10.0.0.1:6379", "SECRET_KEY", "hunter22");
    assert_finds("初始密码为Abc12345，请修改。", "SECRET_KEY", "Abc12345");
    assert_finds(
        "Server=db;User Id=sa;Password=Q1w2;e3!;Database=x",
        "SECRET_KEY",
        "Q1w2;e3!",
    );
    assert_finds(
        "key AKIA4QW7ZLMT2HVXJ5NB",
        "SECRET_KEY",
        "AKIA4QW7ZLMT2HVXJ5NB",
    );
    let pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----";
    assert_finds(&format!("key:\n{pem}\n"), "SECRET_KEY", pem);
    for not_secret in [
        "password=${DB_PASSWORD}",
        "password: {{ vault_db_password }}",
        "api_key=<YOUR_API_KEY>",
        "密码：******",
        "初始密码为身份证号后六位",
        "token=eyJhbGciOiJIUzI1NiJ9...",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        "Passport No.: E12345678",
        "{\"token_type\": \"bearer\", \"expires_in\": 3600}",
        "password_file=/run/secrets/db",
        "PASSWORD_MIN_LENGTH=8",
    ] {
        assert_none(not_secret, "SECRET_KEY");
    }
}

#[test]
fn names() {
    assert_finds("副市长王忠林出席", "PERSON_NAME", "王忠林");
    assert_finds("郑晓峰副区长指出", "PERSON_NAME", "郑晓峰");
    assert_finds("杨湖村村民张建国反映", "PERSON_NAME", "张建国");
    assert_finds(
        "出席：欧阳春丽（市财政局）、李强（市统计局）",
        "PERSON_NAME",
        "李强",
    );
    assert_finds("姓名,电话\n司马丽,13812345678\n", "PERSON_NAME", "司马丽");
    let hints = ScanHints {
        column_header: Some("姓名"),
    };
    let d = scanner().scan_with("周俊艳", &hints);
    assert_eq!(
        spans("周俊艳", &d),
        vec![("PERSON_NAME".to_string(), "周俊艳")]
    );
    for not_name in [
        "联系人：张某",
        "户主：李某某",
        "经办人：王XX",
        "联系人：刘××",
        "联系人：王*林",
        "联系人：张先生",
        "途经王家店",
    ] {
        assert_none(not_name, "PERSON_NAME");
    }
}

#[test]
fn addresses() {
    assert_finds(
        "住址：湖北省鄂州市梁子湖区太和镇文星路103号滨湖小区2栋1单元2201室\n",
        "ADDRESS",
        "湖北省鄂州市梁子湖区太和镇文星路103号滨湖小区2栋1单元2201室",
    );
    assert_finds(
        "家住华容区临江乡泥矶村12组94号。",
        "ADDRESS",
        "华容区临江乡泥矶村12组94号",
    );
    assert_finds(
        "地址：鄂州市滨湖南路１３２号",
        "ADDRESS",
        "鄂州市滨湖南路１３２号",
    );
    // A block by its letter goes on to a building part, not to a window.
    assert_finds(
        "\"address\": \"贵州省贵阳市南明区花果园大街1号B区5栋2单元2304室\",",
        "ADDRESS",
        "贵州省贵阳市南明区花果园大街1号B区5栋2单元2304室",
    );
    assert_finds(
        "地点：鄂州市政务服务中心2楼B区18号窗口",
        "ADDRESS",
        "鄂州市政务服务中心2楼",
    );
    for not_address in [
        "鄂州市鄂城区",
        "华容区葛店镇",
        "杜山镇东港村",
        "滨湖南路沿线",
        "吴都大道与寒溪路交汇处",
        "凤凰街道辖区",
    ] {
        assert_none(not_address, "ADDRESS");
    }
}

#[test]
fn results_are_sorted_disjoint_and_carry_pack_metadata() {
    let text = "联系人：王忠林，手机13812345678，身份证11010519491231002X，邮箱a.b@x.cn";
    let d = scanner().scan(text);
    assert!(d.windows(2).all(|w| w[0].end <= w[1].start), "{d:?}");
    let id = d.iter().find(|x| x.entity == "CN_ID_CARD").unwrap();
    assert_eq!(
        (id.category.as_str(), id.severity.as_str()),
        ("personal", "high")
    );
    assert!(scanner().detector_ids().any(|i| i == "cn_id_card"));
}

#[test]
fn more_real_text_variants() {
    assert_finds(
        "地址：鄂州市 鄂城区 文星路 12 号",
        "ADDRESS",
        "鄂州市 鄂城区 文星路 12 号",
    );
    assert_finds(
        "凤凰街道南浦社区文星路12号",
        "ADDRESS",
        "凤凰街道南浦社区文星路12号",
    );
    assert_finds("住址：文星苑3-2-1102", "ADDRESS", "文星苑3-2-1102");
    assert_finds(
        "该户现居鄂城区滨湖南路12号。",
        "ADDRESS",
        "鄂城区滨湖南路12号",
    );
    assert_finds(
        "办公地点设在鄂州市寿昌大道88号B座12层",
        "ADDRESS",
        "鄂州市寿昌大道88号B座12层",
    );
    assert_finds("（记者 王忠林 通讯员 李强）", "PERSON_NAME", "王忠林");
    assert_finds(
        "发件人：张建国 <zhang@ezhou.gov.cn>",
        "PERSON_NAME",
        "张建国",
    );
    assert_none("联系人：王经理", "PERSON_NAME");
    assert_finds(
        "此致\n敬礼！\n王忠林\n2023年5月1日",
        "PERSON_NAME",
        "王忠林",
    );
    assert_finds("Best regards,\n李晓梅\n市数据局", "PERSON_NAME", "李晓梅");
    assert_none("此致\n敬礼！\n鄂州市人民政府办公室", "PERSON_NAME");
    assert_finds("密级:机密★5年", "CLASSIFICATION_MARK", "密级:机密★5年");
    assert_finds("★机密\n", "CLASSIFICATION_MARK", "★机密");
    assert_finds(
        "电话：０７１１－３２０１２３４分机８８",
        "CN_LANDLINE",
        "０７１１－３２０１２３４分机８８",
    );
    assert_finds(
        "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG",
        "SECRET_KEY",
        "wJalrXUtnFEMI/K7MDENG",
    );
    assert_finds(
        "位置：30°23'28.5\"N, 114°53'41.2\"E。",
        "GEO_COORDINATE",
        "30°23'28.5\"N, 114°53'41.2\"E",
    );
}

#[test]
fn prose_around_label_words_has_no_names() {
    for prose in [
        "严格审核程序。",
        "相关情况记录在案。",
        "主持召开常务会议。",
        "出席会议的有关单位。",
        "由于时间关系，由各单位自行安排。",
        "加强学生管理。",
        "业主委员会换届。",
        "签发日期：2024年1月1日",
        "杨湖村村民反映路灯损坏。",
        "联系方式：（略）",
    ] {
        assert_none(prose, "PERSON_NAME");
    }
    assert_finds("审核：张娟  2019年", "PERSON_NAME", "张娟");
    assert_finds(
        "来电人陈小红反映杨湖村3组路灯损坏。",
        "PERSON_NAME",
        "陈小红",
    );
    assert_finds(
        "来电人陈小红反映杨湖村3组路灯损坏。",
        "ADDRESS",
        "杨湖村3组",
    );
}

#[test]
fn glue_is_ascii_only() {
    assert_finds(
        "IPv6：fe80::1ff:fe23:4567:890a%eth0",
        "IP_ADDRESS",
        "fe80::1ff:fe23:4567:890a",
    );
    assert_finds("地址：10.1.2.3。", "IP_ADDRESS", "10.1.2.3");
    assert_none("1:2:3:4:5:6:7:8:9", "IP_ADDRESS");
    assert_finds("bind ::1 port 6379", "IP_ADDRESS", "::1");
    assert_none("std::string", "IP_ADDRESS");
}

/// A title or label followed by a verb no list holds: the end of the name
/// comes from the given-name statistics.
#[test]
fn names_before_an_unlisted_verb_end_where_the_given_name_does() {
    assert_finds("镇长方晓东通报了一季度情况", "PERSON_NAME", "方晓东");
    assert_finds("车主葛伟东驾驶小型轿车", "PERSON_NAME", "葛伟东");
    assert_finds("原副局长毛志勇违规接受宴请", "PERSON_NAME", "毛志勇");
    for prose in ["副市长高度重视", "副局长会议研究了防汛工作"] {
        assert_none(prose, "PERSON_NAME");
    }
}

/// A traffic notice names the driver, then the offence: the offence word
/// ends the name even when its first character could end a given name
/// (`超`, `逆`).
#[test]
fn an_offence_word_ends_the_name_before_it() {
    for (text, name) in [
        ("驾驶人李霞超速行驶被处罚款", "李霞"),
        ("当事人王海超载运输", "王海"),
        ("驾驶人赵丽闯红灯", "赵丽"),
        ("车主孙建逆行被查处", "孙建"),
    ] {
        assert_eq!(names_in(text), [name], "{text}");
    }
}

/// A one-character given name counts where the text's shape places a name:
/// the whole clause before a speech verb, or right after a title. The
/// character must be a listed given-name one that does not weigh against
/// names, and not form an ordinary word with the surname.
#[test]
fn a_one_character_given_name_counts_where_its_place_says_a_name_stands() {
    for (text, name) in [
        ("会上，王强表示，要加强管理。", "王强"),
        ("记者采访时，李明说，情况属实。", "李明"),
        ("副局长王强主持会议。", "王强"),
        ("副县长李军带队检查。", "李军"),
    ] {
        assert_eq!(names_in(text), [name], "{text}");
    }
    for prose in [
        "副乡长安全检查了现场。",
        "副市长严格要求各单位落实。",
        "活动安排在周末，周末走访了社区。",
        "外交部发言人办公室，严正指出这一点。",
        "经过治疗，康复获得好评。",
        "项目已完工。白天指出的问题已整改。",
    ] {
        assert!(names_in(prose).is_empty(), "{prose}: {:?}", names_in(prose));
    }
}

/// Appointment, removal and sanction sentences and staff words hold names
/// without a label; their given names must read as names.
#[test]
fn appointments_and_sanctions_name_people_in_running_text() {
    for (text, name) in [
        ("任命温建新同志为区发展和改革局副局长", "温建新"),
        ("拟提任曲海鹰为区商务局局长人选", "曲海鹰"),
        ("决定给予禤国良政务记过处分", "禤国良"),
        ("免去司马俊的区教育局副局长职务", "司马俊"),
    ] {
        assert_finds(text, "PERSON_NAME", name);
    }
    for prose in [
        "免去费用的申请须在十日内提交",
        "对表现突出的集体给予宣传报道和表彰奖励",
        "给予房租补贴，给予高度评价",
        "任命书已于近日下发，任命程序符合规定",
        "职工宿舍楼存在消防隐患",
        "退休人员养老金调整工作已经完成",
        "依规依纪给予严肃处理",
        "职工温馨之家建成",
        "民警文明执法，市民文明出行",
        "委员严格遵守有关规定",
        "民警温馨提示：注意安全",
        "村民安居乐业",
    ] {
        assert_none(prose, "PERSON_NAME");
    }
}

#[test]
fn surnames_of_the_hundred_families_and_regional_ones() {
    for (text, name) in [
        ("联系人：裘嘉伟", "裘嘉伟"),
        ("户主：练金水，家庭人口4人", "练金水"),
        ("法定代表人：屠国庆", "屠国庆"),
        ("请贝丽珍女士于3月20日前到场", "贝丽珍"),
        ("信访人郭秀珍反映承包地被占用", "郭秀珍"),
    ] {
        assert_finds(text, "PERSON_NAME", name);
    }
    // A mention before `所反映` is the person, not an office (`派出所`).
    let text = "信访人郭秀珍反映情况。经调查，郭秀珍所反映的问题属实。";
    assert_eq!(names_in(text), ["郭秀珍", "郭秀珍"]);
}

/// A title is prose too: a word after it that opens with a surname is no
/// name when it holds a character names shun.
#[test]
fn words_after_a_title_are_not_names() {
    for prose in [
        "会上，副市长安排部署了下一阶段工作。",
        "镇长和副镇长分别带队。",
        "组长单位负责牵头。",
        "社区主任常态化走访群众。",
    ] {
        assert_none(prose, "PERSON_NAME");
    }
    assert_finds("副市长王强表示，", "PERSON_NAME", "王强");
    assert_finds("联系人：张三", "PERSON_NAME", "张三");
}

/// A signature after a closing is a person's, not the office signing.
#[test]
fn an_office_signing_a_letter_is_no_name() {
    for letter in [
        "此致\n敬礼！\n龙华区卫生健康局\n2026年3月1日",
        "此致\n敬礼！\n卫生健康委员会",
    ] {
        assert_none(letter, "PERSON_NAME");
    }
    assert_finds("此致\n敬礼！\n杭立新\n", "PERSON_NAME", "杭立新");
}

/// Tab-separated tables pasted into a notice are tables too.
#[test]
fn a_name_column_of_a_tab_separated_table() {
    let text = "序号\t户主\t保障人口\n1\t楼金花\t2\n2\t厉小军\t1\n";
    assert_eq!(names_in(text), ["楼金花", "厉小军"]);
    // An amount with a thousands comma leaves the row in its table.
    let text = "序号\t户主\t月保障金\n1\t楼金花\t1,560\n2\t厉小军\t980\n";
    assert_eq!(names_in(text), ["楼金花", "厉小军"]);
}

#[test]
fn address_boundaries_in_notices() {
    assert_finds(
        "聯系地址：深圳市南山區粵海街道海德三道1286號2棟1507室",
        "ADDRESS",
        "深圳市南山區粵海街道海德三道1286號2棟1507室",
    );
    assert_finds(
        "，住贵州省凯里市大十字街道北京东路27号。",
        "ADDRESS",
        "贵州省凯里市大十字街道北京东路27号",
    );
    assert_finds(
        "集合地点：东阳市横店镇人民政府万盛街168号门口",
        "ADDRESS",
        "万盛街168号",
    );
    assert_finds(
        "办公地点：市民中心合署办公楼3楼312室",
        "ADDRESS",
        "市民中心合署办公楼3楼312室",
    );
    assert_finds("到县人民路18号办事", "ADDRESS", "人民路18号");
}

/// An office with no road and no house number: a centre or a building,
/// then floors and rooms, in digits or in Han numerals.
#[test]
fn offices_without_a_road_are_addresses_down_to_the_floor() {
    for (text, address) in [
        (
            "办公地址：清溪县政务服务中心3楼302室",
            "清溪县政务服务中心3楼302室",
        ),
        ("地址：市民中心A座5楼", "市民中心A座5楼"),
        ("地址：财政局合署办公楼四楼", "财政局合署办公楼四楼"),
        ("受理地点：县人民医院综合楼二楼", "县人民医院综合楼二楼"),
        (
            "地址：清溪县便民服务中心三楼302室",
            "清溪县便民服务中心三楼302室",
        ),
        (
            "请到清溪县人民医院门诊楼三楼302室办理",
            "清溪县人民医院门诊楼三楼302室",
        ),
    ] {
        assert_finds(text, "ADDRESS", address);
    }
    // After a house number a floor in Han numerals is a direction, not
    // part of the address (`市民之家一楼综合窗口`).
    assert_finds("请到新华路8号一楼大厅办理", "ADDRESS", "新华路8号");
    // Nor is a building and such a floor given beside an address, with no
    // label or place of its own.
    assert_finds(
        "经营场所：车城西路20号（商贸中心一楼）",
        "ADDRESS",
        "车城西路20号",
    );
    assert_none("（商贸中心一楼）", "ADDRESS");
    for prose in [
        "数据中心三个机房已投入使用",
        "市应急指挥中心二十四小时值守",
        "该中心12个窗口",
    ] {
        assert_none(prose, "ADDRESS");
    }
}

#[test]
fn an_extension_written_apart_belongs_to_the_number() {
    assert_finds(
        "咨询电话：0571-87051200 分机 8002。",
        "CN_LANDLINE",
        "0571-87051200 分机 8002",
    );
    assert_finds(
        "电话：0571-87051200转8001",
        "CN_LANDLINE",
        "0571-87051200转8001",
    );
    assert_finds(
        "电话：0571-87051200 转账请备注",
        "CN_LANDLINE",
        "0571-87051200",
    );
}

/// A shorter name wins when the word after it runs past the longer
/// reading's end; a name whose last character opens a follower stays whole.
#[test]
fn a_name_ends_before_the_whole_word_that_follows_it() {
    for (text, name) in [
        ("总裁马云认为，", "马云"),
        ("李明说明了情况。", "李明"),
        ("村民王福来表示，", "王福来"),
        ("代表团团长蒋卓庆一行", "蒋卓庆"),
    ] {
        assert_eq!(names_in(text), [name], "{text}");
    }
}

/// Bylines and labels in traditional script read as their simplified forms.
#[test]
fn traditional_labels_and_surnames() {
    let text = "責任編輯：黃志明　校對：吳曉燕";
    assert_eq!(names_in(text), ["黃志明", "吳曉燕"]);
    assert_finds("記者 歐陽曉明 報導", "PERSON_NAME", "歐陽曉明");
}

/// Surnames that open common words (`区域`, `容易`, `权利`) are read only
/// where a label, a field or a signature vouches for a name, and then at
/// every mention.
#[test]
fn surnames_that_open_words_count_where_a_label_vouches_for_them() {
    let text = "被告：区伟强，男。经审理，区伟强未按期还款。";
    assert_eq!(names_in(text), ["区伟强", "区伟强"]);
    for (text, name) in [
        ("负责人：容小燕\n", "容小燕"),
        ("{\"approver\":\"敬文涛\",\"status\":\"done\"}", "敬文涛"),
        ("法定代表人：保振华\n注册资本：壹佰万元", "保振华"),
    ] {
        assert_finds(text, "PERSON_NAME", name);
    }
    for prose in [
        "推进区域协调发展，容易出现问题的环节要重点检查。",
        "依法保障群众权利，敬请广大市民相互转告。",
        "联系人：区政府办公室",
        "此致\n敬礼！\n",
    ] {
        assert_none(prose, "PERSON_NAME");
    }
}

/// The role words of news and notices: the given name after them must read
/// as one, so the word's ordinary uses stay clean.
#[test]
fn role_words_of_news_name_the_person_after_them() {
    for (text, name) in [
        ("退休教师缪桂兰告诉记者，", "缪桂兰"),
        ("市三中学生钟雨桐的作品获奖", "钟雨桐"),
        ("街道职工洪建平反映，", "洪建平"),
        ("本人严志华不慎遗失身份证", "严志华"),
    ] {
        assert_finds(text, "PERSON_NAME", name);
    }
    for prose in [
        "学生时代的回忆",
        "教师节表彰大会在礼堂举行",
        "本人承诺以上信息属实",
        "职工温馨之家建成",
    ] {
        assert_none(prose, "PERSON_NAME");
    }
}

/// Labels of letters, court and press notices and data exports.
#[test]
fn labels_of_letters_exports_and_press_notices() {
    for (text, name) in [
        ("经营者：戴永福\n经营场所：", "戴永福"),
        ("寄件人：伍晓丽　0571", "伍晓丽"),
        ("患者家属：龚建新\n2026年5月", "龚建新"),
        ("业主代表：欧阳明辉\n", "欧阳明辉"),
        ("新闻联络：尹嘉怡，电话", "尹嘉怡"),
        ("{\"xm\":\"邝永健\",\"xb\":\"男\"}", "邝永健"),
        ("{\"handler\":\"黎晓军\"}", "黎晓军"),
        ("户名\t开户银行\n俞桂芳\t农业银行\n", "俞桂芳"),
        ("邢国栋（公民身份号码：略）：", "邢国栋"),
        ("当晚，邹文杰医生带领团队手术", "邹文杰"),
        ("下午，何丽娟来到银行网点", "何丽娟"),
        ("决定授予侯建平、牛晓燕同志荣誉称号", "侯建平"),
    ] {
        assert_finds(text, "PERSON_NAME", name);
    }
}

/// Hong Kong and Taiwan notices: labels, surnames and given names in
/// traditional characters read as their simplified forms.
#[test]
fn names_in_traditional_script() {
    assert_finds("聯絡人：麥嘉穎女士", "PERSON_NAME", "麥嘉穎");
    assert_finds("高級經理馮子謙表示，", "PERSON_NAME", "馮子謙");
    assert_finds("傳媒查詢：岑家樂（電郵", "PERSON_NAME", "岑家樂");
}

/// A value glued to a Han key counts when it reads as generated; a call
/// reads the value from elsewhere; `@` may sit inside a URL query value.
#[test]
fn credentials_glued_to_their_key_in_urls_and_in_code() {
    assert_finds(
        "截图中含有服务器口令Xy8#kP2m9Q及地址",
        "SECRET_KEY",
        "Xy8#kP2m9Q",
    );
    assert_finds(
        "jdbc:mysql://db/app?user=app&password=Ab@12cd!&useSSL=true",
        "SECRET_KEY",
        "Ab@12cd!",
    );
    for clean in [
        "请修改密码MD5加密方式",
        "口令123456属于弱口令",
        "String token = request.getParameter(\"t\");",
        "String secret = System.getenv(\"APP_SECRET\");",
    ] {
        assert_none(clean, "SECRET_KEY");
    }
}

/// Registered and household addresses after their labels, flats numbered
/// `座`/`房`, and a range of buildings that is no address.
#[test]
fn addresses_after_domicile_labels_and_in_flats() {
    assert_finds(
        "住所地杭州市上城区望江路12号，",
        "ADDRESS",
        "杭州市上城区望江路12号",
    );
    assert_finds(
        "户籍地金华市婺城区城北街道五一村3组12号。",
        "ADDRESS",
        "金华市婺城区城北街道五一村3组12号",
    );
    assert_finds(
        "收件地址：佛山市禅城区季华路88号2座1803房\n",
        "ADDRESS",
        "佛山市禅城区季华路88号2座1803房",
    );
    assert_none("本小区3-15幢明日停水", "ADDRESS");
}

/// A word for a person (`志愿者`, `护士长`, `厂长`) before a name: the last
/// character stands for every such word. No label vouches for the name,
/// so the statistics must read it, and the character after a name no word
/// ends must read as prose.
#[test]
fn a_name_after_a_word_for_a_person() {
    for (text, name) in [
        ("志愿者邱晓燕每天骑车送餐", "邱晓燕"),
        ("护士长葛丽萍带领团队连夜护理", "葛丽萍"),
        ("厂长邓国华拿起一枚样品", "邓国华"),
        ("站长丁磊接到电话后赶往现场", "丁磊"),
        ("班主任柳静老师第一时间赶到", "柳静"),
        ("五年级学生温雨彤今年11岁", "温雨彤"),
        ("孝男：东方振宇", "东方振宇"),
    ] {
        assert_eq!(names_in(text), [name], "{text}");
    }
    for prose in [
        "民警温馨提示：注意安全",
        "村民安居乐业",
        "局长高兴地说，这次活动很成功",
        "现任柯岩街道党工委副书记",
        "项目将落户黄石新港园区",
        "工人文化宫今天开放",
        "学生时代的回忆",
        "作物成长周期较长",
    ] {
        assert_none(prose, "PERSON_NAME");
    }
}

/// Words after a name that say it is a person's (`委员`, `老人`, `家庭`),
/// when the statistics read the given name.
#[test]
fn a_name_before_a_word_for_its_bearer() {
    assert_eq!(names_in("余海峰委员、程丽娜委员："), ["余海峰", "程丽娜"]);
    assert_eq!(names_in("他又看望了邢桂英老人。"), ["邢桂英"]);
    assert_eq!(names_in("授予周建华家庭荣誉称号"), ["周建华"]);
    for prose in ["创建和谐家庭", "市人大代表视察", "评选五好家庭"] {
        assert_none(prose, "PERSON_NAME");
    }
}

/// A line opening with a name and a colon: a transcript's speaker, a
/// letter's addressee; ordinary field names stay clean.
#[test]
fn a_speaker_or_addressee_opening_a_line() {
    let transcript = "记者：今年收成怎么样？\n葛长明：一共流转了两千亩。\n记者：明年呢？";
    assert_eq!(names_in(transcript), ["葛长明"]);
    assert_eq!(names_in("邵文秀：\n你于三月反映的问题已办结。"), ["邵文秀"]);
    let fields = "范围：全县\n时间：5月\n金额：100元\n高度：3米\n方式：线上";
    assert_none(fields, "PERSON_NAME");
}

/// Tables pasted as text with columns aligned by blanks: a name column is
/// read like a CSV column, and one blank stays inside a cell.
#[test]
fn a_name_column_of_a_table_aligned_with_blanks() {
    let table = "户号    被征收人      房屋坐落\nHQ-01   钱阿根        东关街道解放路 18 号\nHQ-02   上官玉兰      东关街道解放路20号\n";
    assert_eq!(names_in(table), ["钱阿根", "上官玉兰"]);
    let table = " 序号  户主姓名  家庭住址\n 1    汪金土    东门村3组\n";
    assert_eq!(names_in(table), ["汪金土"]);
}

/// A line opening with a name before a comma or parenthesis is a roster's
/// entry; a label or a word for a role there is none, nor is it before
/// `，身份证`.
#[test]
fn a_roster_line_opens_with_a_name_not_with_a_role() {
    let roster = "团组人员：\n邢雅静，区投资促进中心副主任，护照号码略；\n乐天（男，42岁）";
    assert_eq!(names_in(roster), ["邢雅静"]);
    for clean in [
        "序号,申请人,身份证号码\n",
        "申请人，身份证号码：略",
        "同时，各部门要加强协作。",
        "高度重视，周密部署。",
    ] {
        assert_none(clean, "PERSON_NAME");
    }
}

/// A word for a person before a colon is a label (`唱标人：`), and then a
/// surname that opens common words reads only when its given name does
/// (`发布人：区发展和改革局局长` has no name `区发展`).
#[test]
fn a_word_for_a_person_before_a_colon_is_a_label() {
    assert_eq!(names_in("唱标人：晏紫　监督人：区财政局"), ["晏紫"]);
    assert_eq!(names_in("发布人：区发展和改革局局长 邬立群"), ["邬立群"]);
    assert_eq!(names_in("交出人：区家明　接收人：仇晓"), ["区家明", "仇晓"]);
    assert_eq!(names_in("任命万俟晓峰为区统计局副局长"), ["万俟晓峰"]);
    assert_eq!(
        names_in("法定代表人：覃小燕，原经营地址：台州市"),
        ["覃小燕"]
    );
}

/// A constant's or environment variable's name after a key holds no
/// secret (`"X-Api-Key": API_KEY}`).
#[test]
fn a_constant_name_after_a_key_is_no_secret() {
    for code in [
        "headers = {\"X-Api-Key\": API_KEY}",
        "password = DB_PASSWORD",
        "token: ${TOKEN}",
    ] {
        assert_none(code, "SECRET_KEY");
    }
    assert_finds("password = Db_Pass2026", "SECRET_KEY", "Db_Pass2026");
}

/// Flats in an apartment block and houses in a lane (`212弄4号`).
#[test]
fn apartments_and_lanes_are_addresses() {
    assert_finds(
        "住址：东湖人才公寓3幢512室",
        "ADDRESS",
        "东湖人才公寓3幢512室",
    );
    assert_finds(
        "房屋坐落：百官街道人民西路212弄4号",
        "ADDRESS",
        "百官街道人民西路212弄4号",
    );
}

/// A title vouches for a surname that opens common words, when the
/// statistics read the given name; a verb or adverb after a title stays
/// clean.
#[test]
fn a_title_vouches_for_a_surname_that_opens_words() {
    assert_eq!(names_in("副县长原建军主持会议"), ["原建军"]);
    assert_eq!(names_in("县长乐志坚出席并讲话"), ["乐志坚"]);
    for prose in [
        "书记强调要抓好落实",
        "局长原来在乡镇工作",
        "院长保证按期完成",
    ] {
        assert_none(prose, "PERSON_NAME");
    }
    assert_eq!(names_in("温丽娟不慎遗失居民身份证一张"), ["温丽娟"]);
}

/// A line whose heading (a constituency, a school, a panel) is followed by
/// a colon and nothing but names: the heading vouches for all of them.
/// Where the line holds anything else, or the heading is no such word,
/// nothing is read.
#[test]
fn a_heading_before_a_colon_vouches_for_a_line_of_names() {
    assert_eq!(
        names_in("第一选区：谷满仓、邝美玲\n第三选区：姚丹、佃建雄"),
        ["谷满仓", "邝美玲", "姚丹", "佃建雄"]
    );
    assert_eq!(names_in("湖州市第二中学：凌晓"), ["凌晓"]);
    // A short heading that opens with a surname is still a heading.
    assert_eq!(names_in("金山中学：王芳、李丽"), ["王芳", "李丽"]);
    assert_eq!(
        names_in("评审小组：蒲建、税文、母红霞"),
        ["蒲建", "税文", "母红霞"]
    );
    for clean in [
        "状态：正常、高新、王府井",
        "第一选区：高新区东片",
        "评审小组：高度重视，认真评审",
        "湖州市第二中学：周一至周五开放",
    ] {
        assert_none(clean, "PERSON_NAME");
    }
}

/// Lists go on past a parenthetical after a name opening a line, keep the
/// label's vouching across `、`, and continue after an ideographic space.
#[test]
fn lists_of_names_continue_past_parentheticals_and_marks() {
    assert_eq!(
        names_in("拟录取以下学生：\n周逸凡（篮球）、林可馨（田径）、池浩（篮球）"),
        ["周逸凡", "林可馨", "池浩"]
    );
    assert_eq!(
        names_in("列席：姬云鹏（市政府办公室）、权晓敏（市住建局）"),
        ["姬云鹏", "权晓敏"]
    );
    assert_eq!(names_in("投资人：鲁建勋、乐佳"), ["鲁建勋", "乐佳"]);
    assert_eq!(
        names_in("拟将岑晓雯、庹强2名同志发展为预备党员"),
        ["岑晓雯", "庹强"]
    );
    // A comma after a labelled name lets prose back in.
    assert_eq!(names_in("法定代表人：覃小燕，原经营地址变更"), ["覃小燕"]);
}

/// Labels in the shapes forms and bylines write them: a title before a
/// colon, a party with a parenthetical, an office between the label and
/// the contact, a byline's `文/`.
#[test]
fn labels_with_parentheticals_offices_and_bylines() {
    assert_eq!(names_in("项目经理：仇建明"), ["仇建明"]);
    assert_eq!(names_in("总监：钟离越"), ["钟离越"]);
    assert_eq!(
        names_in("甲方（签字）：樊建国　　乙方（签字）：车晓琳"),
        ["樊建国", "车晓琳"]
    );
    assert_eq!(
        names_in("联系人：市统计局执法监督处 丰晓云，0573-82527631"),
        ["丰晓云"]
    );
    assert_eq!(names_in("联系人：护理部 蔺慧　电话：69156812"), ["蔺慧"]);
    assert_eq!(names_in("文/陆晨曦　图/贝亮"), ["陆晨曦", "贝亮"]);
    for clean in [
        "联系人：市统计局执法监督处",
        "甲方（盖章）：杭州悦禾餐饮管理有限公司",
        "中文/英文",
        "当事人：杭州悦禾餐饮管理有限公司",
    ] {
        assert_none(clean, "PERSON_NAME");
    }
}

/// A one-character given name found once is found again after a label
/// (`被告人骆飞冒用`), though no word ends it there; elsewhere it still
/// needs an end.
#[test]
fn a_short_name_is_found_again_after_its_label() {
    let text = "被告人骆飞，男，1987年生。经审理查明，被告人骆飞冒用他人信用卡。";
    assert_eq!(names_in(text), ["骆飞", "骆飞"]);
    assert_eq!(
        names_in("原告林海与被告卓文斌民间借贷纠纷一案"),
        ["林海", "卓文斌"]
    );
    assert_eq!(names_in("外卖骑手佘志强勇救落水儿童"), ["佘志强"]);
}

/// A Markdown table's column headed with a name column is read like any
/// other table's.
#[test]
fn markdown_tables_have_name_columns() {
    let table = "| 序号 | 成交供应商 | 项目负责人 |\n| 1 | 广西绿桂环境科技有限公司 | 覃海波 |\n";
    assert_eq!(names_in(table), ["覃海波"]);
}

/// A `、` list one of whose names a rule found (here the last, before a
/// verb) gives its other names, each read by the statistics; the walk
/// stops at the first item that is no name.
#[test]
fn a_found_name_gives_the_other_names_of_its_list() {
    assert_eq!(
        names_in("经评选，左丹、贺晓鸣、温柔、麦子、解文涛被评为年度优秀志愿者"),
        ["左丹", "贺晓鸣", "温柔", "麦子", "解文涛"]
    );
    assert_eq!(
        names_in("会上，武汉、黄石、张建国介绍了经验"),
        ["张建国"],
        "places are no list items"
    );
    assert_eq!(names_in("副市长王忠林、高新区负责人出席"), ["王忠林"]);
}

/// Placeholders in credential tests are no keys: a run of one character,
/// `your_…_here`, a subscript reading the environment.
#[test]
fn credential_placeholders_are_no_keys() {
    for placeholder in [
        "aws_access_key_id = AKIAXXXXXXXXXXXXXXXX",
        "secret_id = AKIDxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "WEATHER_API_KEY = \"your_api_key_here\"",
        "SMTP_PASSWORD = os.environ[\"SMTP_PASSWORD\"]",
    ] {
        assert_none(placeholder, "SECRET_KEY");
    }
    assert_finds(
        "aws_access_key_id = AKIA4QZ7N2L5RT6WY3HB",
        "SECRET_KEY",
        "AKIA4QZ7N2L5RT6WY3HB",
    );
}

/// A hemisphere in words says a number is a coordinate, so two decimals
/// do; a range written with `至` is a stretch of street, no address; a
/// version number is no IP address.
#[test]
fn coordinates_in_words_ranges_with_words_and_versions() {
    assert_finds(
        "震中位于北纬29.62度，东经102.18度。",
        "GEO_COORDINATE",
        "北纬29.62度，东经102.18度",
    );
    assert_none("成绩为29.62，比上年增长102.18", "GEO_COORDINATE");
    assert_none("北纬30度线", "GEO_COORDINATE");
    assert_none("位于东经114.1度、北纬30.5度之间", "GEO_COORDINATE");
    assert_none("文二路188号至256号路段封闭", "ADDRESS");
    assert_finds("住址：文二路188号", "ADDRESS", "文二路188号");
    assert_none("数据生成器版本：2.4.1.0", "IP_ADDRESS");
    assert_none("Version 3.8.2.1104", "IP_ADDRESS");
    assert_finds(
        "服务器地址：192.168.1.20，版本号见附件",
        "IP_ADDRESS",
        "192.168.1.20",
    );
}

/// Tibetan names are two name words in a row; transliterated names have a
/// middle dot between parts of transliteration characters. One name word
/// alone, a plate's dot or a dot between ordinary words is none.
#[test]
fn names_without_a_han_surname() {
    assert_eq!(
        names_in("乡小学教师次仁卓玛裹着藏袍，在牧民旦增罗布家的帐篷里上课。"),
        ["次仁卓玛", "旦增罗布"]
    );
    assert_eq!(names_in("扎西多吉，男，藏族，1981年11月生"), ["扎西多吉"]);
    assert_eq!(
        names_in("门口，买买提·艾力正用流利的普通话介绍"),
        ["买买提·艾力"]
    );
    assert_eq!(
        names_in("经营绸店的阿依努尔・库尔班说，阿卜杜拉·艾尼·买买提也来了"),
        ["阿依努尔・库尔班", "阿卜杜拉·艾尼·买买提"]
    );
    for clean in [
        "尼玛乡卫生院",
        "扎西岗村",
        "牌照浙A·12345",
        "马克思主义·列宁主义",
        "质量·安全·效率",
    ] {
        assert_none(clean, "PERSON_NAME");
    }
}

/// Forms of news and notices: a photographer's credit, a title before
/// `任` (the post a name is put in), a title after the name, a label with
/// a parenthetical, `兼任`, a log's `key=value`, a traveller.
#[test]
fn credits_posts_and_log_fields() {
    assert_eq!(names_in("农户抢收水稻。（诸葛晓峰 摄）"), ["诸葛晓峰"]);
    assert_eq!(names_in("王蕾/摄"), ["王蕾"]);
    assert_eq!(
        names_in("由副县长解国强任总指挥，局长亓海鷹任常务副总指挥。"),
        ["解国强", "亓海鷹"]
    );
    assert_eq!(names_in("指导教师为阮国平副教授。"), ["阮国平"]);
    assert_eq!(names_in("项目联系人（询问）：阮晓东"), ["阮晓东"]);
    assert_eq!(
        names_in("连长由部长司马卫东兼任，指导员由邬海涛兼任。"),
        ["司马卫东", "邬海涛"]
    );
    assert_eq!(
        names_in("WARN 申请人校验失败 applicant=亓晓丽 from=1.2.3.4"),
        ["亓晓丽"]
    );
    assert_eq!(names_in("旅客上官语嫣，护照号"), ["上官语嫣"]);
    for clean in [
        "拍摄于2026年",
        "王府井 摄影展",
        "来自官方文档",
        "任务=完成",
        "主任委员会任期",
    ] {
        assert_none(clean, "PERSON_NAME");
    }
}

/// Lists under a heading may end in a parenthetical or a head count; a
/// district heads a commendation list; a table cell may hold two names;
/// a vouched surname before a name is part of it, never cut off.
#[test]
fn headed_lists_cells_and_vouched_surnames() {
    assert_eq!(
        names_in("信息工程学院：司马晨阳（2022级计算机科学与技术）"),
        ["司马晨阳"]
    );
    assert_eq!(
        names_in("评标委员会：保晓霞、朵兰芳等5人"),
        ["保晓霞", "朵兰芳"]
    );
    assert_eq!(
        names_in("上城区：马力、区志坚\n萧山区：种桂芝（女）和都兴旺"),
        ["马力", "区志坚", "种桂芝", "都兴旺"]
    );
    assert_eq!(
        names_in("序号  不动产权利人  不动产坐落\n2  林阿珠、颜志明  大羽村后埔46号"),
        ["林阿珠", "颜志明"]
    );
    assert_eq!(
        names_in("日期  带班领导  职务  值班人员\n1月1日  季风  局长  麻晓军"),
        ["季风", "麻晓军"]
    );
    assert_eq!(names_in("请种桂芝（女）参加"), ["种桂芝"]);
    for clean in [
        "上城区：辖区内高新企业、都市农业",
        "评标委员会：依法组建，共5人",
        "萧山区：种植面积扩大",
    ] {
        assert_none(clean, "PERSON_NAME");
    }
}

/// A marking quoted as an example in a sentence is prose about markings;
/// quoted alone on its line, after `密级：`, or unquoted, it is a marking.
#[test]
fn a_marking_quoted_in_a_sentence_is_an_example() {
    for prose in [
        "标注形式为\"密级★保密期限\"，例如\"机密★5年\"表示该文件为机密级",
        "例如“秘密★启用前”常见于考试试卷",
        "文件标注“机密★”的，应当妥善保管",
    ] {
        assert_none(prose, "CLASSIFICATION_MARK");
    }
    assert_finds("密级：“机密★10年”", "CLASSIFICATION_MARK", "机密★10年");
    assert_finds(
        "“绝密★长期”\n关于……的通知",
        "CLASSIFICATION_MARK",
        "绝密★长期",
    );
    assert_finds(
        "本文件为机密★5年，请妥善保管",
        "CLASSIFICATION_MARK",
        "机密★5年",
    );
}

/// An SQL `INSERT` is a table: its column list is the header, each tuple
/// a row. Only whole quoted values under a name column are names; a
/// company under `company_name` or a placeholder under `legal_person` is
/// none, nor is a name-like run inside a place (`长沙岳麓区`).
#[test]
fn names_in_the_rows_of_an_sql_insert() {
    let sql = "INSERT INTO t_customer (id, cust_name, mobile) VALUES\n\
               (1001, '麻建军', '13974108862'),\n\
               (1003, '司马浩然', NULL);\n\
               INSERT INTO t_company (id, company_name, legal_person) VALUES\n\
               (2002, '长沙岳麓区小吴便利店', '吴某'), (2003, 'x', '瞿秋白');";
    assert_eq!(names_in(sql), ["麻建军", "司马浩然", "瞿秋白"]);
    assert_none(
        "INSERT INTO t (id, note) VALUES (1, '王建国')",
        "PERSON_NAME",
    );
    assert_none("The values (of 'x') are", "PERSON_NAME");
    assert_none("位于长沙岳麓区", "PERSON_NAME");
}

/// Officials in work reports and press conferences: a post after the
/// name (`马丽娟副县长一行`), a post inside a longer title (`副主席周丽`,
/// never `席周丽`), a post before the blank and the name after a label
/// (`主持人：市政府新闻办副主任 田甜`), an ideographic-space roster, and
/// verbs and adverbs after a name.
#[test]
fn officials_in_reports_and_rosters() {
    assert_eq!(names_in("马丽娟副县长一行调研文旅项目"), ["马丽娟"]);
    assert_eq!(
        names_in("区人大常委会主任许国庆，区政协主席冯德明等参加学习。县政协副主席周丽列席会议。"),
        ["许国庆", "冯德明", "周丽"]
    );
    assert_eq!(
        names_in("主持人：市政府新闻办副主任 田甜\n\n田甜：各位媒体朋友，大家上午好！"),
        ["田甜", "田甜"]
    );
    assert_eq!(
        names_in("丁福生（东山街道）　王德贵（清溪镇）　欧阳明（西坑乡）"),
        ["丁福生", "王德贵", "欧阳明"]
    );
    assert_eq!(names_in("联系人：谢婷老师、孔令杰老师"), ["谢婷", "孔令杰"]);
    assert_eq!(names_in("镇党委书记谢建平陪同调研"), ["谢建平"]);
    assert_eq!(names_in("退休教师刘国强还自发组织了菜园课堂"), ["刘国强"]);
    assert_eq!(names_in("被询问人：生产主管杜文斌"), ["杜文斌"]);
    for clean in [
        "吸引市民游客3万余人次",
        "主席台就座",
        "分管副县长",
        "常务副县长",
        "金老师、王老师",
    ] {
        assert_none(clean, "PERSON_NAME");
    }
}

/// A password holding a raw `@` in a URL's userinfo stays whole (the last
/// `@` ends it); `change-me` and a token with `your-` inside are
/// placeholders.
#[test]
fn userinfo_passwords_and_more_placeholders() {
    assert_finds(
        "connect failed: redis://:Rds@pr0d2026@10.18.6.30:6379/0",
        "SECRET_KEY",
        "Rds@pr0d2026",
    );
    assert_finds(
        "mongodb://admin:Mg7kP2xq@10.0.0.5:27017/db",
        "SECRET_KEY",
        "Mg7kP2xq",
    );
    for placeholder in [
        "JWT_SECRET=change-me",
        "SLACK_TOKEN=\"xoxb-your-bot-token\"",
    ] {
        assert_none(placeholder, "SECRET_KEY");
    }
}

/// A MySQL client's password is glued to `-p`, bare or quoted, and
/// redis-cli's follows `-a`; `-p` of other commands is a port, and a bare
/// `-p` asks for the password. A
/// connection URL's password may hold a raw `#`, where a web URL's `#`
/// starts its fragment.
#[test]
fn command_line_passwords_and_hashes_in_connection_urls() {
    assert_finds(
        "mysql -uroot -pS3cr3tPass2024 -h 10.0.0.5",
        "SECRET_KEY",
        "S3cr3tPass2024",
    );
    assert_finds(
        "$ mysqldump -u backup -p\"Bk#2024pass\" shop > shop.sql",
        "SECRET_KEY",
        "Bk#2024pass",
    );
    for no_password in [
        "mysql -u root -p",
        "ssh -p 2222 deploy@host",
        "docker run -p 3306:3306 mysql:8",
        "mysql -uroot -p$MYSQL_ROOT_PASSWORD",
        "tar -pczf backup.tgz mysql",
        "redis-cli -a",
        "ls -a /var/lib/redis-cli",
        "redis-cli -a $REDIS_PASSWORD ping",
    ] {
        assert_none(no_password, "SECRET_KEY");
    }
    assert_finds(
        "  421  redis-cli -h 172.16.20.12 -a Rd!s2024#hr ping",
        "SECRET_KEY",
        "Rd!s2024#hr",
    );
    assert_finds(
        "jdbc:mysql://db:3306/app?user=app&password=Ab#12cd!x",
        "SECRET_KEY",
        "Ab#12cd!x",
    );
    assert_finds(
        "https://x.gov.cn/cb?token=abc123def456#top",
        "SECRET_KEY",
        "abc123def456",
    );
}

/// A mobile of eight zeros after its prefix is a dummy; one more digit
/// makes it a subscriber's.
#[test]
fn dummy_mobiles_are_no_subscribers() {
    assert_none(
        "assert mask_phone(\"13800000000\") == \"138****0000\"",
        "CN_MOBILE",
    );
    assert_finds("电话：13800000001", "CN_MOBILE", "13800000001");
}

/// A later cell of a roster row set apart by ideographic spaces holds a
/// name when the row goes on to a phone; without the number, in a sentence
/// or when the cell reads as no name, it holds none.
#[test]
fn later_cells_of_a_roster_row() {
    assert_eq!(names_in("古楼街道　宋军　0635-8312345"), ["宋军"]);
    assert_eq!(
        names_in("1　　新区街道　李秀英　13912345678\n2　　湖西街道　王军　　0635-8312346"),
        ["李秀英", "王军"]
    );
    for none in [
        "古楼街道　宋军　值班",
        "古楼街道　发展　0635-8312345",
        "会议纪要，古楼街道　宋军　0635-8312345",
        "城关镇　张村　0635-8312345",
    ] {
        assert_none(none, "PERSON_NAME");
    }
}

/// Mongolian names have no surname: two name words in a row are a name,
/// and so is one word of three characters that no place word follows.
/// Dotted Uyghur names hold `不`, `都`, `来`, `肉` and `地`.
#[test]
fn mongolian_names_and_more_dotted_ones() {
    assert_eq!(names_in("嘎查党支部书记巴特尔介绍，今年"), ["巴特尔"]);
    assert_eq!(names_in("牧民巴图孟和家的草场"), ["巴图孟和"]);
    assert_eq!(names_in("额日和木巴特尔说"), ["额日和木巴特尔"]);
    assert_eq!(names_in("乌云其木格（女）"), ["乌云其木格"]);
    for place in ["额尔敦苏木位于", "呼和浩特市", "乌兰浩特市", "乌兰", "巴图"]
    {
        assert_none(place, "PERSON_NAME");
    }
    assert_eq!(
        names_in("评审小组：阿不都外力·吐尔地、迪丽努尔·阿不都拉"),
        ["阿不都外力·吐尔地", "迪丽努尔·阿不都拉"]
    );
    assert_eq!(
        names_in("通讯员买合木提·阿不来提报道"),
        ["买合木提·阿不来提"]
    );
}

/// A string passed to a function named for names is a name when all of it
/// is one (`maskName('覃美玲')`); a file or a company is none.
#[test]
fn names_passed_to_name_functions() {
    assert_eq!(
        names_in("expect(maskName('覃美玲')).toBe('覃**')"),
        ["覃美玲"]
    );
    assert_eq!(
        names_in("assert mask_name(\"欧阳晓红\") == \"欧阳**\""),
        ["欧阳晓红"]
    );
    for none in [
        "getName(\"张三丰科技\")",
        "setName('王')",
        "rename(\"李建国.txt\")",
        "maskName(name)",
    ] {
        assert_none(none, "PERSON_NAME");
    }
}

/// Words of village elections, commendations, land boundaries and lectures:
/// `得票`, `提起` and `当选` read their subject, `等同志` closes a name,
/// `主讲：` and `支书` vouch for one, `纳` `海` `虎` `朴` are surnames after
/// a label or title, and `大姐`, `单位`, `曾经` are no names.
#[test]
fn election_results_lectures_and_hui_surnames() {
    assert_eq!(
        names_in("李建军得票412票，当选为村民委员会主任；"),
        ["李建军"]
    );
    assert_eq!(names_in("向奋战在一线的钟丽华等同志学习"), ["钟丽华"]);
    assert_eq!(names_in("主讲：县国家保密局　任志强"), ["任志强"]);
    assert_eq!(names_in("还常常提起老支书杨德林。"), ["杨德林"]);
    assert_eq!(names_in("庄主马学军提起当年"), ["马学军"]);
    assert_eq!(
        names_in("评标委员会成员：马俊、虎勇、冶晓梅"),
        ["马俊", "虎勇", "冶晓梅"]
    );
    assert_eq!(names_in("副局长纳文忠传达会议精神"), ["纳文忠"]);
    for none in ["65岁的黄大姐已经是", "单位及职务", "海量数据", "纳入范围"] {
        assert_none(none, "PERSON_NAME");
    }
    assert_eq!(names_in("马占福，曾经也是"), ["马占福"]);
}

/// A name the text calls a pseudonym (`陈明（化名）`) is none at any
/// mention; a doubled character before a name is a word (`谢谢黎明副局长`);
/// `辩称` reads its subject whole (`王建明`, not `王建明辩`).
#[test]
fn pseudonyms_thanks_and_longer_verbs() {
    assert_eq!(
        names_in("小周（化名）和陈明（化名）是好友。陈明以资金周转为由借款。审理中，陈明辩称已归还。承办法官王建国表示"),
        ["王建国"]
    );
    assert_eq!(names_in("主持人：谢谢黎明副局长。"), ["黎明"]);
    assert_eq!(names_in("审理中，王建明辩称部分款项已归还。"), ["王建明"]);
    assert_eq!(names_in("谢谢。\n谢建平副局长介绍"), ["谢建平"]);
}

/// A word that asks for a person (`联系`) may name the office before the
/// name (`可联系街道城管中队石磊，`); in a table the rest of the row gives a
/// value its context (`| E48201736 | 命中 | 普通护照 |`).
#[test]
fn offices_after_a_verb_and_context_later_in_the_row() {
    assert_eq!(
        names_in("如有问题，可联系街道城管中队石磊，电话：0571-86970511"),
        ["石磊"]
    );
    assert_none("可联系街道城管中队，周一至周五", "PERSON_NAME");
    let table = "| 用例 | 输入 | 期望 | 说明 |\n|---|---|---|---|\n| TC-08 | E48201736 | 命中 | 普通护照 |\n| TC-09 | C37016284 | 命中 | 往来港澳通行证 |";
    assert_finds(table, "CN_PASSPORT", "E48201736");
    assert_finds(table, "CN_HKMO_PERMIT", "C37016284");
    assert_none("| 编号 | 值 |\n|---|---|\n| 1 | E48201736 |", "CN_PASSPORT");
}

/// Shapes of the eleventh set: tables split by full-width bars; a roster
/// line opening with a name (after a row number) and an ideographic
/// space; a long parenthetical before a label's colon; a slash byline;
/// a household count; Hong Kong, Macao and Taiwan landlines; a PEM key
/// inside a code string; build numbers are no IP addresses.
#[test]
fn bars_rosters_bylines_and_keys_in_code() {
    assert_eq!(
        names_in(
            "序号｜申请人｜身份证号\n1｜梁嘉欣｜4401061990****2025\n2｜罗志明｜4409231985****1438"
        ),
        ["梁嘉欣", "罗志明"]
    );
    assert_eq!(
        names_in("序号　姓名　救助原因\n1　　王秀兰　因病\n2　　刘建平　意外事故"),
        ["王秀兰", "刘建平"]
    );
    assert_eq!(
        names_in("何建军　县委副书记、县长\n主持县政府全面工作。"),
        ["何建军"]
    );
    assert_eq!(names_in("法定代表人（负责人、经营者）：崔雅婷"), ["崔雅婷"]);
    assert_eq!(names_in("杨帆/文　李文斌/摄"), ["杨帆", "李文斌"]);
    assert_eq!(names_in("何德兵等12户被征收人反映"), ["何德兵"]);
    for clean in [
        "高新区　管委会",
        "一、总则　第一条",
        "其余领导同志之间",
        "清理景田片区长期占用",
    ] {
        assert_none(clean, "PERSON_NAME");
    }
    assert_finds(
        "報名及查詢：陳家慧姑娘\n電話：(852) 2396 4817",
        "CN_LANDLINE",
        "(852) 2396 4817",
    );
    assert_finds(
        "承辦人：林怡君　電話：(02)2725-6941",
        "CN_LANDLINE",
        "(02)2725-6941",
    );
    let key = "APP_PRIVATE_KEY = \"\"\"-----BEGIN PRIVATE KEY-----\nMIICeQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\"\"\"";
    assert_finds(
        key,
        "SECRET_KEY",
        "-----BEGIN PRIVATE KEY-----\nMIICeQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
    );
    assert_none(
        "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
        "SECRET_KEY",
    );
    assert_none("内部构建号格式调整为 3.10.2.15", "IP_ADDRESS");
    assert_none("running, build 2.4.1.3", "IP_ADDRESS");
}

/// A travel document number of six or more equal digits is a fixture's
/// dummy; a real-looking one in the same place is found.
#[test]
fn dummy_travel_document_numbers_are_placeholders() {
    assert_none("\"passport\": \"E00000000\",", "CN_PASSPORT");
    assert_none("\"hkmo_permit\": \"C00000000\",", "CN_HKMO_PERMIT");
    assert_finds("\"passport\": \"E48201736\",", "CN_PASSPORT", "E48201736");
    assert_finds("港澳通行证：C37016284", "CN_HKMO_PERMIT", "C37016284");
}

/// The thirteenth set's families: lists under a heading with a head count,
/// plot boundaries, chat messages, roster cells with a post and a phone,
/// Hong Kong places, merchant keys, a full-width bar's column header.
#[test]
fn counted_headings_boundaries_chats_and_roster_cells() {
    assert_eq!(
        names_in("一类保障（4户）：郝二平　刘爱莲　郝长顺　田桂英"),
        ["郝二平", "刘爱莲", "郝长顺", "田桂英"]
    );
    assert_eq!(
        names_in("本科生（2人）：梁晓彤（计科2301）　韦嘉诚（软件2302）"),
        ["梁晓彤", "韦嘉诚"]
    );
    // A count of things, or a heading with prose after it, is no list.
    assert_none("采购需求（3项）：高清投影仪　交互平板", "PERSON_NAME");
    assert_none("分配结果（4户）：全部按期入住，无异议", "PERSON_NAME");

    assert_eq!(
        names_in("四至：东至覃永贵宅基地，南至村道，西至蒙桂芳菜地，北至水塘。"),
        ["覃永贵", "蒙桂芳"]
    );
    assert_none("东至王家，西至机耕路，北至河堤。", "PERSON_NAME");

    assert_eq!(
        names_in("[08:02] 蒋晓楠（班主任）：各位家长好\n[08:07] 邬子涵爸爸：收到"),
        ["蒋晓楠", "邬子涵"]
    );
    assert_none("[08:15] 宿管阿姨：晚上十点熄灯", "PERSON_NAME");

    assert_eq!(
        names_in("水库名称｜行政责任人｜巡查责任人\n黄泥塘水库｜封立军（镇长）19167626073｜冉学贵　19553552185"),
        ["封立军", "冉学贵"]
    );
    assert_eq!(
        names_in("原告滕飞诉被告冼国明、冼伟强房屋买卖合同纠纷；被告人伦子健犯危险驾驶罪"),
        ["滕飞", "冼国明", "冼伟强", "伦子健"]
    );
    assert_eq!(names_in("辩护人邵婉清，江苏瑞衡律师事务所律师"), ["邵婉清"]);
    assert_eq!(names_in("中五甲班班主任：周慧玲老師"), ["周慧玲"]);
    assert_none("联系人：郑法官", "PERSON_NAME");
    assert_none("当事人应自收到本决定书之日起十五日内缴纳", "PERSON_NAME");

    assert_finds(
        "服務中心地址：香港新界荃灣青山公路432號荃新商業大廈12樓1205室",
        "ADDRESS",
        "香港新界荃灣青山公路432號荃新商業大廈12樓1205室",
    );
    assert_finds(
        "入住澳門氹仔望德聖母灣大馬路199號",
        "ADDRESS",
        "澳門氹仔望德聖母灣大馬路199號",
    );
    assert_finds(
        "提前20分钟到达广州市番禺区市桥街道清河东路321号本院",
        "ADDRESS",
        "广州市番禺区市桥街道清河东路321号",
    );
    assert_finds(
        "綦志伟遗失石家庄市桥西区中华南大街98号购房收据",
        "ADDRESS",
        "石家庄市桥西区中华南大街98号",
    );

    assert_finds(
        "序號｜姓名｜往來港澳通行證號碼\n1｜袁志剛｜C52408173",
        "CN_HKMO_PERMIT",
        "C52408173",
    );
    assert_none("序號｜姓名｜備註\n1｜袁志剛｜C52408173", "CN_HKMO_PERMIT");

    assert_finds(
        "  api-v3-key: 81c8b5b71001f634a939f39a6cdb068c",
        "SECRET_KEY",
        "81c8b5b71001f634a939f39a6cdb068c",
    );
    assert_finds(
        "\"mch_key\": \"A18dVUhuGkWOCj0ZqZzi2O6FXH5UiaEZ\"",
        "SECRET_KEY",
        "A18dVUhuGkWOCj0ZqZzi2O6FXH5UiaEZ",
    );
    assert_none("access_key_id = example-id-value", "SECRET_KEY");
    assert_none("修复在 Android 10.0.0.1 以下版本崩溃的问题", "IP_ADDRESS");
}

/// Yi names (a clan name and two syllables), a subject after `的` or
/// before an adverb, and the desk a thing is handed to.
#[test]
fn yi_names_subjects_after_de_and_before_adverbs() {
    assert_eq!(
        names_in("同事沙马伍呷告诉记者，每逢周末，吉克阿呷都要走两个多小时山路"),
        ["沙马伍呷", "吉克阿呷"]
    );
    assert_eq!(names_in("校长曲比拉杰说"), ["曲比拉杰"]);
    for clean in ["吉木乃县边境", "木乃伊展览", "阿苏卫垃圾场"] {
        assert_none(clean, "PERSON_NAME");
    }
    assert_eq!(
        names_in("在二道白河镇经营民宿的朴成浩说，今年雪季客房全满"),
        ["朴成浩"]
    );
    assert_eq!(names_in("说起师傅，李文博至今记得他的那句话"), ["李文博"]);
    assert_none("，全市已经完成", "PERSON_NAME");
    assert_eq!(names_in("将培训签到表交至任志强处。"), ["任志强"]);
    assert_eq!(
        names_in("上虞区：俞国庆家庭\n诸暨市：斯建新家庭"),
        ["俞国庆", "斯建新"]
    );
    assert_none("上城区：和谐家庭", "PERSON_NAME");
    assert_eq!(names_in("红榜：吴金凤家庭院整洁"), ["吴金凤"]);
    assert_none("材料报送宣传处。", "PERSON_NAME");
}

/// The fourteenth set's families: a number listed after another shares its
/// context, seven-digit local numbers, development zones, traditional
/// folds for plates and places, password flags and keys.
#[test]
fn listed_numbers_zones_folds_and_flags() {
    assert_finds(
        "电话：0579-82267351、82267352（24小时值班）",
        "CN_LANDLINE",
        "82267352",
    );
    assert_finds("电话为0580-2263718/2263719，传真", "CN_LANDLINE", "2263719");
    assert_finds(
        "科室 | 姓名 | 办公电话\n投资项目科 | 滕雪梅 | 6021135/6021136",
        "CN_LANDLINE",
        "6021136",
    );
    // A list of other numbers, or one with no context, lends none.
    assert_none("编号2024001、2024002已归档", "CN_LANDLINE");
    assert_none("合同金额3028657元", "CN_LANDLINE");

    assert_finds(
        "建设地点：长沙望城经济技术开发区腾飞路二段88号",
        "ADDRESS",
        "长沙望城经济技术开发区腾飞路二段88号",
    );
    assert_finds(
        "生产基地位于衢州市衢江区衢州高新技术产业开发区华荫北路21号。",
        "ADDRESS",
        "衢州市衢江区衢州高新技术产业开发区华荫北路21号",
    );
    assert_finds(
        "送达地址：甲方杭州市滨江区浦沿街道东冠路618号东冠小区2幢301室；",
        "ADDRESS",
        "杭州市滨江区浦沿街道东冠路618号东冠小区2幢301室",
    );
    assert_finds(
        "手機17178375570，常駐珠海市香洲區前山街道翠微西路96號5棟2單元702室。",
        "ADDRESS",
        "珠海市香洲區前山街道翠微西路96號5棟2單元702室",
    );
    assert_finds(
        "首批試點車輛：粵BD56218（新能源廂式貨車）",
        "CN_LICENSE_PLATE",
        "粵BD56218",
    );
    assert_finds(
        "內部\n拱北口岸旅檢大廳失物登記簿",
        "CLASSIFICATION_MARK",
        "內部",
    );

    assert_finds(
        "sshpass -p 'Cy^ZNGz^rv' scp backup.tar",
        "SECRET_KEY",
        "Cy^ZNGz^rv",
    );
    assert_none("ssh -p 2222 admin@host", "SECRET_KEY");
    assert_finds(
        "WECHAT_PAY_KEY=brVCzz4EyfYi6IMXMQMd9BT20pSyeeA7",
        "SECRET_KEY",
        "brVCzz4EyfYi6IMXMQMd9BT20pSyeeA7",
    );
    assert_none(
        "  accessKeySecret: process.env.SMS_ACCESS_KEY_SECRET,",
        "SECRET_KEY",
    );
    assert_none(
        "private-key-file=/opt/sso/keys/sso_private.pem",
        "SECRET_KEY",
    );
    assert_none("网关组件升级至 3.10.2.15", "IP_ADDRESS");
    assert_finds(
        "auth = oss2.Auth('LTAI5tQ8ZfKO6eV3rlTa', 'qquHohNrndKOq5bFevbPsgUjDjxOPC')",
        "SECRET_KEY",
        "qquHohNrndKOq5bFevbPsgUjDjxOPC",
    );
    let placeholder = "oss2.Auth('LTAI5tQ8ZfKO6eV3rlTa', 'your-secret-here')";
    assert_eq!(
        found(placeholder),
        [("SECRET_KEY".to_string(), "LTAI5tQ8ZfKO6eV3rlTa")]
    );

    // Names in the columns of a fleet table; none in a firm's name after
    // a role character, nor in words a label stands before.
    assert_eq!(
        names_in("| 号牌 | 登记车主 | 司机 |\n| 浙A·5T2N8 | 冯建军 | 熊大勇 |"),
        ["冯建军", "熊大勇"]
    );
    assert_eq!(
        names_in("组长：施志勇　成员：苏婉清等4人"),
        ["施志勇", "苏婉清"]
    );
    for clean in [
        "建设单位：长沙麓谷精工装备有限公司",
        "提醒广大市民：严禁在楼道停放电动自行车",
        "当事人冷库（宁波市海曙区）",
        "資料僅限協作雙方指定聯絡人查閱",
    ] {
        assert_none(clean, "PERSON_NAME");
    }
}

/// The fifteenth set's families: documentation keys and placeholders in
/// rule tests, hashes named as such, a placeholder joined to a title,
/// bylines with a picture credit, a village accountant.
#[test]
fn documentation_keys_hashes_and_bylines() {
    assert_none(
        "示例 AWS 密钥 `AKIAIOSFODNN7EXAMPLE` 仅用于文档演示。",
        "SECRET_KEY",
    );
    assert_finds(
        "aws_key = \"AKIA4QW7ZLMT2HVXJ5NB\"",
        "SECRET_KEY",
        "AKIA4QW7ZLMT2HVXJ5NB",
    );
    assert_none("  \"webhookSecret\": \"whsec_REPLACE_ME\"", "SECRET_KEY");
    assert_none(
        "ADMIN_PASSWORD_SHA256=9b74c9897bac770ffc029102a200c5de1c1d3b6b8c3b59f9a2f2e2b5f0a4c7d1",
        "SECRET_KEY",
    );
    assert_none("Upgrade to nginx 1.24.0.2 done", "IP_ADDRESS");
    assert_none("王书记和刘女士出席", "PERSON_NAME");
    assert_eq!(names_in("张先生和李建国同志出席"), ["李建国"]);
    assert_eq!(
        names_in("记者 田德胜/文 董晓琳/图\n编写：龙海燕  审核：万志刚"),
        ["田德胜", "董晓琳", "龙海燕", "万志刚"]
    );
    assert_eq!(names_in("联系人：村会计罗丽萍，18082400284"), ["罗丽萍"]);
    assert_eq!(names_in("她的同事秦建华回忆，有一次"), ["秦建华"]);
    assert_eq!(
        names_in("test.each([\n  ['陈思远', '陈**'],\n  ['欧阳晓薇', '欧阳**'],\n  [\"石磊\", \"石*\"],\n])"),
        ["陈思远", "欧阳晓薇", "石磊"]
    );
    assert_eq!(
        names_in("联系电话：13516704285（孟庆祥）、0571-87051234（市场部）"),
        ["孟庆祥"]
    );
    // The string must open with the surname the mask keeps, and be a name.
    assert_none(
        "cases = [('陈思远', '王**'), ('地址', '地**')]",
        "PERSON_NAME",
    );
}
