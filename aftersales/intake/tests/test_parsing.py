"""Reading Chinese and English mail: charsets, encoded words, file names, HTML, nesting."""

from __future__ import annotations

import pytest

from aftersales.intake.parsing import (
    UnreadableMessage,
    codec_for,
    decode_bytes,
    decode_header_value,
    parse_message,
)
from aftersales.intake.tests.conftest import RECEIVED, eml


def test_gb2312_labelled_mail_keeps_its_gbk_only_characters():
    mail = parse_message(eml("gb2312_with_gbk_characters.eml"))

    assert mail.subject == "加密机故障 王堃 喆 镕"
    assert "王堃、张喆、朱镕报告" in mail.text


def test_gbk_quoted_printable_gb18030_base64_and_big5_are_read():
    assert parse_message(eml("gbk_quoted_printable.eml")).text == "签名服务器 CPU 告警，请尽快联系。"
    gb18030 = parse_message(eml("gb18030_base64.eml"))
    assert (gb18030.subject, gb18030.text) == ("姓名𠮷野家的设备", "𠮷野先生的密码机需要巡检。")
    big5 = parse_message(eml("big5.eml"))
    assert (big5.subject, big5.from_name, big5.text) == (
        "伺服器無法啟動",
        "陳先生",
        "伺服器無法啟動，請協助處理。",
    )


def test_encoded_word_subjects_and_sender_names_are_decoded():
    mail = parse_message(eml("encoded_word_subject.eml"))

    assert mail.subject == "密码机无法登录 login fails"
    assert (mail.from_name, mail.from_address) == ("张工", "zhang@bank-a.example")
    assert mail.text == "管理界面无法登录，提示证书错误。"


def test_a_message_without_a_charset_label_keeps_its_chinese_text():
    assert parse_message(eml("missing_charset.eml")).text == "柜员机钞箱故障，王堃已到场。"


def test_unknown_charset_labels_fall_back_instead_of_failing():
    mail = parse_message(eml("unknown_charset_labels.eml"))

    assert mail.subject == "标签异常的邮件"
    assert "第一段：喆 的终端无法连接。" in mail.text
    assert "第二段：镕 的密码键盘失灵。" in mail.text


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("gb2312", "gb18030"),
        ("x-gbk", "gb18030"),
        ("GB_2312-80", "gb18030"),
        ("big5", "big5hkscs"),
        ("nope", None),
    ],
)
def test_charset_labels_map_to_the_widest_decoder(label, codec):
    assert codec_for(label) == codec


def test_bytes_under_a_wrong_label_are_still_read():
    assert decode_bytes("设备离线".encode(), "gb2312") == "设备离线"
    assert decode_bytes("设备离线".encode("gbk"), "utf-8") == "设备离线"
    assert decode_bytes("设备离线".encode("gbk"), "iso-8859-1") == "设备离线"
    assert decode_bytes("café".encode("latin-1"), "iso-8859-1") == "café"


def test_cr_lf_and_nul_never_survive_in_a_decoded_header():
    mail = parse_message(eml("crlf_in_subject.eml"))

    assert mail.subject == "Urgent Bcc: attacker@evil.example 紧急"
    assert not any(ch in mail.subject for ch in "\r\n\x00")
    assert decode_header_value("=?utf-8?B?YQ0KYgBj?=") == "a b c"


def test_a_broken_encoded_word_is_kept_as_it_came():
    assert decode_header_value("=?utf-8?B?broken") == "=?utf-8?B?broken"


def test_rfc2231_and_encoded_word_file_names_are_decoded_for_display():
    mail = parse_message(eml("rfc2231_filenames.eml"))

    assert [a.name for a in mail.attachments] == ["运行日志.txt", "设备日志-堃.txt", "../../etc/报告.pdf"]
    assert mail.attachments[0].content == b"line 1\n"


def test_html_only_mail_is_sanitised_and_gets_a_plain_text_version():
    mail = parse_message(eml("html_only.eml"))

    assert "<script" not in mail.html and "javascript:" not in mail.html and "onclick" not in mail.html
    assert 'href="https://bank-a.example/help"' in mail.html
    assert mail.text.startswith("凭条打印机卡纸，无法出票。")
    assert "alert" not in mail.text and "color:red" not in mail.text


def test_an_inline_image_is_kept_as_a_file_and_the_plain_text_is_preferred():
    mail = parse_message(eml("inline_image.eml"))

    assert mail.text == "See the screenshot below: error 0x2F on boot."
    ((image),) = mail.attachments
    assert (image.content_type, image.content[:4]) == ("image/png", b"\x89PNG")


def test_a_forwarded_message_joins_the_text_and_is_kept_whole():
    mail = parse_message(eml("forwarded.eml"))

    assert "请处理下面转发的报告。" in mail.text
    assert "原始故障报告：网点终端离线" in mail.text and "解放碑网点三台终端离线。" in mail.text
    ((forwarded),) = mail.attachments
    assert forwarded.content_type == "message/rfc822"
    assert b"<inner@bank-a.example>" in forwarded.content


def test_a_tnef_winmail_dat_is_kept_as_an_attachment():
    ((winmail),) = parse_message(eml("winmail.eml")).attachments

    assert (winmail.name, winmail.content_type) == ("winmail.dat", "application/ms-tnef")
    assert winmail.content.startswith(bytes.fromhex("789f3e22"))


def test_the_topmost_received_header_is_the_receipt_time():
    assert parse_message(eml("english_fault_with_serial.eml")).received_at == RECEIVED


def test_bytes_that_are_not_mail_are_unreadable():
    with pytest.raises(UnreadableMessage):
        parse_message(eml("not_mail.eml"))
    with pytest.raises(UnreadableMessage):
        parse_message(b"")
