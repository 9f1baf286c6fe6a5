"""The default wording of each notice (loaded by a data migration; "restore the default wording"
in the admin reads it again). Formal 公文 style; every name and place in the output comes from
the petition, nothing here is real."""

from __future__ import annotations

from xinfang.documents.models import NoticeKind as K

_SUBJECT = "你（们）于{{ received_on }}提出的“{{ petition.title }}”信访事项（查询码：{{ query_code }}）"

DEFAULT_TEMPLATES: dict[str, tuple[str, str]] = {
    K.ACCEPTANCE: (
        "信访事项受理告知书",
        "\n".join(
            [
                "{{ petitioner_names }}：",
                _SUBJECT + "，本机关已于{{ accepted_on }}依法受理。",
                "根据《信访工作条例》第三十四条的规定，本机关将自受理之日起{{ handling_days }}日内办结，即于"
                "{{ due_on }}前向你（们）出具书面处理意见。情况复杂的，经本机关负责人批准，可以适当延长办理期限，"
                "但延长期限不超过三十日，并告知你（们）延期理由。",
                "你（们）可以凭查询码通过信访信息系统、电话或者到信访接待场所查询办理进展和结果，并对办理情况进行评价。"
                "请依法、有序、逐级反映诉求，不得有《信访工作条例》第二十六条所列的行为。",
                "特此告知。",
            ]
        ),
    ),
    K.DECLINE: (
        "信访事项不予受理告知书",
        "\n".join(
            [
                "{{ petitioner_names }}：",
                _SUBJECT + "，本机关经审查认为，该事项{{ decline_reason }}。根据《信访工作条例》的有关规定，"
                "本机关决定不予受理。",
                "{% if decline_reason_key == 'legal_channel' %}请你（们）依照有关法律、行政法规规定的程序，"
                "通过诉讼、仲裁、行政复议等法定途径向有关机关提出。"
                "{% elif decline_reason_key == 'not_competent' %}请你（们）向有权处理的机关提出。"
                "{% elif decline_reason_key == 'reexamined' %}该事项已经复核终结，以同一事实和理由提出的，各级机关不再受理。"
                "{% else %}如有新的事实和理由，可以依法另行提出。{% endif %}",
                "特此告知。",
            ]
        ),
    ),
    K.ROUTING: (
        "信访事项{{ route_verb }}单",
        "\n".join(
            [
                "{{ to_unit.name }}：",
                "现将{{ petitioner_names }}于{{ received_on }}提出的“{{ petition.title }}”信访事项（查询码："
                "{{ query_code }}）{{ route_verb }}你单位，请依照《信访工作条例》第二十三条的规定，于{{ acceptance_due_on }}"
                "前将是否受理的情况书面告知信访人。"
                "{% if report_due_on %}请于{{ report_due_on }}前将办理结果报告本机关。{% endif %}",
                "你单位认为该事项不属于你单位职权范围的，请于{{ objection_due_on }}前提出异议并说明理由。",
                "信访事项主要内容：{{ petition.content }}",
            ]
        ),
    ),
    K.EXTENSION: (
        "信访事项延期办理告知书",
        "\n".join(
            [
                "{{ petitioner_names }}：",
                _SUBJECT + "，本机关已于{{ accepted_on }}受理，原定于{{ due_before }}前办结。",
                "因{{ extension_reason }}，经本机关负责人批准，根据《信访工作条例》第三十四条的规定，"
                "办理期限延长{{ extension_days }}日，延长后的办结期限为{{ due_on }}。",
                "本机关将在延长后的期限内办结，并向你（们）出具书面处理意见。",
                "特此告知。",
            ]
        ),
    ),
    K.HANDLING: (
        "信访事项处理意见书",
        "\n".join(
            [
                "{{ petitioner_names }}：",
                _SUBJECT + "，本机关已于{{ accepted_on }}受理。经调查核实，现提出处理意见如下：",
                "{{ decision.text }}",
                "综上，本机关对你（们）的诉求{{ decision_outcome }}。",
                "如对本处理意见不服，你（们）可以自收到本意见书之日起{{ review_days }}日内，即于{{ due_on }}前，"
                "向{{ higher_unit_name }}请求复查。",
                "特此告知。",
            ]
        ),
    ),
    K.REVIEW: (
        "信访事项复查意见书",
        "\n".join(
            [
                "{{ petitioner_names }}：",
                "你（们）对{{ previous_unit_name }}于{{ previous_decided_on }}出具的处理意见不服，于{{ requested_on }}"
                "向本机关请求复查（查询码：{{ query_code }}）。本机关依法进行了复查，现提出复查意见如下：",
                "{{ decision.text }}",
                "综上，本机关对你（们）的复查请求{{ decision_outcome }}。",
                "如对本复查意见不服，你（们）可以自收到本意见书之日起{{ reexamination_days }}日内，即于{{ due_on }}前，"
                "向{{ higher_unit_name }}请求复核。",
                "特此告知。",
            ]
        ),
    ),
    K.REEXAMINATION: (
        "信访事项复核意见书",
        "\n".join(
            [
                "{{ petitioner_names }}：",
                "你（们）对{{ previous_unit_name }}于{{ previous_decided_on }}出具的复查意见不服，于{{ requested_on }}"
                "向本机关请求复核（查询码：{{ query_code }}）。本机关依法进行了复核，现提出复核意见如下：",
                "{{ decision.text }}",
                "综上，本机关对你（们）的复核请求{{ decision_outcome }}。",
                "根据《信访工作条例》第三十六条的规定，本复核意见为最终处理意见。你（们）对复核意见不服，"
                "仍以同一事实和理由提出信访事项的，各级人民政府信访工作机构和其他行政机关不再受理。",
                "特此告知。",
            ]
        ),
    ),
    # 督办通知书 of a petition or of a whole unit (xinfang.oversight.notices fills it in: to_unit, subject,
    # mode, reason, requirement, answer_due_on, number, opened_on, and petition/query_code for a petition)
    K.SUPERVISION: (
        "督办通知书",
        "\n".join(
            [
                "{{ to_unit.name }}：",
                "{% if petition %}{{ petitioner_names }}于{{ received_on }}提出的“{{ petition.title }}”信访事项（查询码："
                "{{ query_code }}）{% else %}你单位的信访工作{% endif %}，因{{ reason }}，本机关决定予以{{ mode }}。",
                "督办要求：{{ requirement }}",
                "请于{{ answer_due_on }}前将办理情况书面报告本机关。逾期未报告、报告不实或者办理不到位的，本机关将予以通报，"
                "并可以依照《信访工作条例》的有关规定提出追究责任的建议。",
                "督办编号：{{ number }}",
            ]
        ),
    ),
}
assert set(DEFAULT_TEMPLATES) == set(K.values)
