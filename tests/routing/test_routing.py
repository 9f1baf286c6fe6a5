"""Category proposals (xinfang.routing): how a text is read (raw and segmented alike), the proposals
with their confidence, the model file, and the two commands: routing_train and routing_evaluate (its
last line one JSON object). The quality on the 2020 泰迪杯 messages is checked on a part of them here;
bench/routing.py and `routing_evaluate --folds 5` give the full figures."""

from __future__ import annotations

import csv
import dataclasses
import json
import random
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError

from tests.support.routing import PHRASES, WAGES, corpus, run
from xinfang.lib.datasets import LABELED_MESSAGES, RAW_SAMPLE, csv_open
from xinfang.routing import classifier, embedding
from xinfang.routing.classifier import TrainingError, category_model_fit, model_current, texts_canonical
from xinfang.routing.evaluation import cross_validate, report
from xinfang.routing.selectors import category_propose
from xinfang.routing.services import category_model_train
from xinfang.routing.text import text_canonical, text_words
from xinfang.routing.training_data import LabeledTexts

# ---------------------------------------------------------------- a small synthetic corpus


# ---------------------------------------------------------------- reading a text


def test_segmented_and_raw_texts_read_the_same():
    raw = "小区物业乱收费，业主多次反映！"
    assert text_words("小区 物业 乱收费 业主 多次 反映") == text_words(raw)
    assert text_canonical("小 区物业乱 收费") == text_canonical("小区物业乱收费")  # spaces never matter
    assert text_words("ＡＢＣ小区") == text_words("abc小区")  # full-width folded


def test_stop_words_numbers_and_codes_are_dropped():
    words = text_words("我们A3区的小区物业费2019年涨了")
    assert "物业费" in words and "小区" in words
    assert not {"我们", "的", "了", "a3", "2019"} & set(words)


# ---------------------------------------------------------------- proposals


@pytest.mark.django_db
def test_proposals_come_ranked_with_confidence_words_and_the_tree_node(category_model):
    proposals = category_propose(WAGES)
    first = proposals[0]
    assert first.label == "劳动和社会保障" and first.confidence > 0.5
    assert [p.confidence for p in proposals] == sorted((p.confidence for p in proposals), reverse=True)
    assert 0 < sum(p.confidence for p in proposals) <= 1.0001 and len(proposals) <= 3
    assert first.category is not None and (first.category.level, first.category.name) == (1, "劳动和社会保障")
    assert first.words and all(w in WAGES for w in first.words)
    assert first.model_version == category_model.version


@pytest.mark.django_db
def test_spaces_do_not_change_the_proposals(category_model):
    segmented = "某 公司 拖欠 农民工 工资 三个 月 不给 缴纳 社保"
    assert category_propose(segmented) == category_propose(segmented.replace(" ", ""))


@pytest.mark.django_db
def test_no_proposal_without_a_model_or_without_text(category_model, settings, tmp_path):
    assert category_propose("工资") == []  # too little to go on
    settings.ROUTING_MODEL_PATH = tmp_path / "missing.joblib"
    assert category_propose(WAGES) == []


@pytest.mark.django_db
def test_a_retrained_model_is_used_at_once(settings, tmp_path):
    settings.ROUTING_MODEL_PATH = tmp_path / "category.joblib"
    texts, labels = corpus(per_label=10)
    first = category_model_train(texts, labels, source="one")
    assert model_current().version == first.version
    # the same texts, with labors' and buildings' labels swapped: a retrained file replaces the old one
    swapped = {"劳动和社会保障": "城乡建设", "城乡建设": "劳动和社会保障"}
    category_model_train(texts, [swapped.get(y, y) for y in labels], source="two")
    assert model_current().source == "two"
    assert category_propose(WAGES)[0].label == "城乡建设"


def test_too_little_to_learn_is_refused_in_chinese():
    with pytest.raises(TrainingError, match="训练数据不足"):
        category_model_fit(texts_canonical(["拖欠工资", "物业收费"]), ["劳动和社会保障", "城乡建设"])


def test_labels_with_too_few_examples_are_left_out():
    texts, labels = corpus(per_label=10)
    model = category_model_fit(texts_canonical(texts + ["垃圾分类宣传"]), labels + ["环境保护x"])
    assert "环境保护x" not in model.labels and len(model.labels) == 4


# ---------------------------------------------------------------- evaluation


def test_report_counts_unknown_labels_as_errors():
    result = report(["城乡建设", "城乡建设", "政法"], ["城乡建设", "城乡建设", "城乡建设"])
    assert result["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["per_label"]["政法"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert result["macro_f1"] == pytest.approx((0.8 + 0.0) / 2, abs=1e-4)


def test_cross_validation_keeps_duplicates_in_one_fold():
    texts, labels = corpus(per_label=12)
    duplicated = LabeledTexts(texts + texts[:5], labels + labels[:5], 0)
    result = cross_validate(duplicated, folds=3)
    assert result["duplicate_texts_grouped"] >= 5
    assert result["samples"] == len(duplicated.texts)


def write_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def labeled_csv(tmp_path: Path, per_label: int = 12, seed: int = 1, segmented: bool = False) -> Path:
    texts, labels = corpus(per_label=per_label, seed=seed)
    if segmented:  # as the training file is: words separated by spaces
        texts = [" ".join(text_words(t)) for t in texts]
    rows = [{"主题": t[:8], "详情": t[8:], "类别": y} for t, y in zip(texts, labels)]
    return write_csv(tmp_path / "labeled.csv", rows)


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


PER_LABEL_KEYS = {"precision", "recall", "f1", "support"}


@pytest.mark.django_db
def test_evaluate_by_cross_validation_ends_with_one_json_line(tmp_path):
    path = labeled_csv(tmp_path)
    out, err = run(
        "routing_evaluate",
        "--csv",
        str(path),
        "--text-col",
        "主题",
        "--text-col",
        "详情",
        "--label-col",
        "类别",
        "--folds",
        "3",
    )
    result = last_json(out)
    assert {"accuracy", "macro_f1", "per_label"} <= set(result) and result["mode"] == "cross_validation"
    assert set(result["per_label"]) == set(PHRASES)
    assert all(set(v) == PER_LABEL_KEYS for v in result["per_label"].values())
    assert sum(v["support"] for v in result["per_label"].values()) == 4 * 12
    assert result["macro_f1"] > 0.8  # the synthetic labels are easy
    assert "第3/3折" in err  # progress, on stderr


@pytest.mark.django_db
def test_evaluate_the_installed_model_raw_or_segmented_unknown_labels_are_errors(tmp_path, category_model):
    path = labeled_csv(tmp_path, segmented=True)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows.append({"主题": "法院判决", "详情": "执行不到位", "类别": "政法"})  # a label the model never saw
    write_csv(path, rows)
    args = ["--csv", str(path), "--text-col", "主题", "--text-col", "详情", "--label-col", "类别"]
    spaced = last_json(run("routing_evaluate", *args)[0])
    despaced = last_json(run("routing_evaluate", *args, "--strip-spaces")[0])
    assert spaced["mode"] == "installed_model" and spaced["model_version"] == category_model.version
    assert spaced["per_label"]["政法"]["recall"] == 0.0 and spaced["accuracy"] < 1
    assert {k: spaced[k] for k in ("accuracy", "macro_f1", "per_label")} == {
        k: despaced[k] for k in ("accuracy", "macro_f1", "per_label")
    }


@pytest.mark.django_db
def test_evaluate_refuses_clearly(tmp_path):
    path = labeled_csv(tmp_path)
    with pytest.raises(CommandError, match="没有这些列：内容"):
        run("routing_evaluate", "--csv", str(path), "--text-col", "内容", "--label-col", "类别", "--folds", "3")
    with pytest.raises(CommandError, match="routing_train"):  # no model installed
        run("routing_evaluate", "--csv", str(path), "--text-col", "主题", "--label-col", "类别")


# ---------------------------------------------------------------- training command


@pytest.mark.django_db
def test_train_installs_a_model_and_if_missing_keeps_it(tmp_path, settings):
    path = labeled_csv(tmp_path)
    out, _ = run("routing_train", "--csv", str(path), "--text-col", "主题", "--text-col", "详情", "--label-col", "类别")
    model = model_current()
    assert model is not None and model.version in out and model.samples == 4 * 12
    assert set(model.labels) == set(PHRASES)
    mtime = Path(settings.ROUTING_MODEL_PATH).stat().st_mtime
    out, _ = run("routing_train", "--if-missing")
    assert "未重新训练" in out and Path(settings.ROUTING_MODEL_PATH).stat().st_mtime == mtime


@pytest.mark.django_db
def test_train_without_data_fails_or_only_warns_for_make(tmp_path, settings):
    settings.ROUTING_TRAINING_CSV = tmp_path / "absent.csv"
    with pytest.raises(CommandError, match="找不到训练数据文件"):
        run("routing_train")
    _, err = run("routing_train", "--if-missing")  # a training file moved away (XINFANG_ROUTING_TRAINING_CSV)
    assert "警告" in err and model_current() is None


# ---------------------------------------------------------------- quality on the real messages

SEG = django_settings.DATASETS_DIR / LABELED_MESSAGES
SAMPLE = django_settings.DATASETS_DIR / RAW_SAMPLE


def test_trained_on_segmented_messages_it_labels_raw_messages_as_well():
    """Trained on part of dev.csv (segmented), tested on other messages: segmented, the same with spaces
    removed, and the raw originals of the 附件2 sample. The full 5-fold figures: bench/routing.py."""
    with csv_open(SEG) as f:
        seg = list(csv.DictReader(f))
    with csv_open(SAMPLE) as f:
        raw = {row["seg_row_id"]: row for row in csv.DictReader(f) if row["seg_row_id"]}
    rnd = random.Random(0)
    held = [r for r in seg if r["row_id"] in raw]
    rest = [r for r in seg if r["row_id"] not in raw]
    train = rnd.sample(rest, 800)
    held_texts = {r["text_seg"] for r in held}
    train = [r for r in train if r["text_seg"] not in held_texts]  # duplicates never test their own text
    model = category_model_fit(texts_canonical([r["text_seg"] for r in train]), [r["label"] for r in train])
    truth = [r["label"] for r in held]
    segmented = texts_canonical([r["text_seg"] for r in held])
    assert segmented == texts_canonical([r["text_seg"].replace(" ", "") for r in held])  # spaces never matter
    raw_texts = texts_canonical([f"{raw[r['row_id']]['留言主题']}\n{raw[r['row_id']]['留言详情']}" for r in held])
    scores = {
        name: report(truth, model.predict(texts))["accuracy"]
        for name, texts in (("segmented", segmented), ("raw", raw_texts))
    }
    assert scores["segmented"] >= 0.7 and abs(scores["raw"] - scores["segmented"]) <= 0.04, scores


@pytest.mark.django_db
def test_the_fast_scorer_gives_the_pipelines_probabilities(category_model):
    texts = texts_canonical(corpus(per_label=3, seed=5)[0] + [WAGES, "完全无关的内容", ""])
    first_reading_only = dataclasses.replace(category_model, second=None)
    assert first_reading_only.probabilities(texts) == pytest.approx(
        category_model.pipeline.predict_proba(texts), abs=1e-5
    )


# ---------------------------------------------------------------- the second reading (sentence embeddings)


def blend_decision(model: classifier.CategoryModel, canonical: str) -> np.ndarray:
    features = model.pipeline.named_steps["features"].transform([canonical])
    return model.pipeline.named_steps["classify"].calibrated_classifiers_[0].estimator.decision_function(features)[0]


M = classifier.SECOND_READING_MARGIN


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([2.0, 2.0 - M, -1.0], False),  # the two highest exactly the margin apart: sure enough
        ([2.0, 2.0 - M + 0.001, -1.0], True),
        ([-0.2, -0.2 - M / 2, -0.2 - M / 4], True),
        ([3.0, 3.0 - 2 * M, -5.0], False),
        ([M / 2 - 0.001], True),
        ([-M / 2 + 0.001], True),
        ([M / 2], False),  # two labels: one value, margin 2 × |value|
    ],
)
def test_unsure_means_the_two_highest_decisions_are_closer_than_the_margin(values, expected):
    assert classifier.unsure(np.array(values)) is expected


@pytest.mark.django_db
def test_the_second_reading_embeds_only_unsure_texts_and_adds_its_decisions(category_model, monkeypatch):
    assert category_model.second is not None  # routing_train's default (settings.ROUTING_SECOND_READING)
    texts = texts_canonical(corpus(per_label=3, seed=5)[0] + [WAGES, "完全无关的内容", "工资和物业费都没人管", ""])
    decisions = {t: blend_decision(category_model, t) for t in texts}
    unsure = [t for t in texts if classifier.unsure(decisions[t])]
    assert unsure and len(unsure) < len(texts)
    embedded: list[str] = []
    real = embedding.embed
    monkeypatch.setattr(embedding, "embed", lambda strings: embedded.extend(strings) or real(strings))
    probabilities = category_model.probabilities(texts)
    assert embedded == [embedding.embedding_input(t) for t in unsure]  # one embedding per unsure text
    cal = category_model.pipeline.named_steps["classify"].calibrated_classifiers_[0]
    a, b = np.array([c.a_ for c in cal.calibrators]), np.array([c.b_ for c in cal.calibrators])
    for t, row in zip(texts, probabilities):
        d = decisions[t]
        if t in unsure:
            d = d + classifier.SECOND_READING_WEIGHT * category_model.second.decision(
                real([embedding.embedding_input(t)])[0]
            )
        p = 1 / (1 + np.exp(a * d + b))
        assert row == pytest.approx(p / p.sum(), abs=1e-5)


@pytest.mark.django_db
def test_known_embeddings_are_used_instead_of_embedding_again(category_model, monkeypatch):
    texts = texts_canonical([WAGES, "完全无关的内容", "工资和物业费都没人管"])
    vectors = embedding.embeddings_for(texts)
    expected = category_model.probabilities(texts, vectors)
    monkeypatch.setattr(embedding, "embed", lambda strings: pytest.fail("embedded again"))
    assert category_model.probabilities(texts, vectors) == pytest.approx(expected)


def test_embeddings_are_unit_vectors_that_place_like_texts_near(settings, tmp_path):
    settings.ROUTING_EMBEDDING_CACHE = tmp_path / "embeddings.npz"
    wages, wages_again, smell = embedding.embeddings_for(
        texts_canonical(["公司拖欠农民工工资三个月", "老板欠我们半年工钱不给", "养猪场臭味熏天影响居民生活"])
    )
    assert wages.shape == (embedding.DIMENSIONS,)
    assert np.linalg.norm(wages) == pytest.approx(1.0, abs=1e-2)
    assert wages @ wages_again > wages @ smell


def test_the_embedding_cache_keeps_each_string_once_and_survives_a_new_process(settings, tmp_path, monkeypatch):
    settings.ROUTING_EMBEDDING_CACHE = tmp_path / "embeddings.npz"
    texts = texts_canonical(["公司拖欠农民工工资三个月", "小区物业乱收费", "公司拖欠农民工工资三个月"])
    counted: list[int] = []
    first = embedding.embeddings_for(texts, counted.append)
    assert sum(counted) == 3 and np.array_equal(first[0], first[2])
    monkeypatch.setattr(embedding, "embed", lambda strings: pytest.fail("embedded again"))
    counted.clear()
    assert np.array_equal(embedding.embeddings_for(texts, counted.append), first) and sum(counted) == 3


@pytest.mark.django_db
def test_train_without_the_second_reading_when_it_is_switched_off(tmp_path, settings, monkeypatch):
    settings.ROUTING_SECOND_READING = False
    monkeypatch.setattr(embedding, "embed", lambda strings: pytest.fail("embedded"))
    run("routing_train", "--csv", str(labeled_csv(tmp_path)), "--text-col", "主题", "--label-col", "类别")
    model = model_current()
    assert model is not None and model.second is None
    assert model.predict(texts_canonical(["工资和物业费都没人管"]))  # and it never embeds


@pytest.mark.django_db
def test_a_model_file_of_another_version_counts_as_missing(settings, tmp_path, trained_model_file):
    import joblib

    data = joblib.load(trained_model_file)
    data["sklearn"] = "0.0"  # written by another scikit-learn: its pickle is not to be trusted
    settings.ROUTING_MODEL_PATH = tmp_path / "old.joblib"
    joblib.dump(data, settings.ROUTING_MODEL_PATH)
    assert model_current() is None and category_propose(WAGES) == []
    (tmp_path / "old.joblib").write_bytes(b"not a model")
    classifier.model_forget()
    assert model_current() is None


@pytest.mark.django_db
def test_the_quick_model_serves_first_and_the_background_job_replaces_it_with_the_full_one(settings, tmp_path):
    """make run trains the quick model (no second reading) before it serves; the schedule's job
    category_model_full trains the full one, installs it, and records its cross-validated figures."""
    from xinfang.routing.models import CategoryModelRecord, Reading
    from xinfang.routing.services import category_model_improve

    settings.ROUTING_MODEL_PATH = tmp_path / "category.joblib"
    texts, labels = corpus(per_label=12)
    csv_path = tmp_path / "labeled.csv"
    csv_path.write_text(
        "text_seg,label\n" + "".join(f"{t},{y}\n" for t, y in zip(texts, labels)).replace("，", " "), encoding="utf-8"
    )
    settings.ROUTING_TRAINING_CSV = csv_path
    quick = category_model_train(texts, labels, source="quick", quick=True)
    assert quick.second is None and model_current().version == quick.version
    assert CategoryModelRecord.objects.get(version=quick.version).reading == Reading.QUICK
    done = category_model_improve()
    assert done["trained"] and model_current().version == done["model"] != quick.version
    assert model_current().second is not None  # the better model took over
    full = CategoryModelRecord.objects.get(version=done["model"])
    assert full.reading == Reading.FULL and full.samples == len(texts) and full.cv_folds == 5
    assert 0.5 < full.cv_accuracy <= 1 and 0.5 < full.cv_macro_f1 <= 1 and full.cv_at is not None
    assert category_model_improve() == {"trained": False, "model": done["model"]}  # once only
    CategoryModelRecord.objects.filter(version=done["model"]).update(cv_at=None)  # the figures were cut short
    again = category_model_improve()
    assert again == {
        "trained": False,
        "model": done["model"],
        "accuracy": done["accuracy"],
        "macro_f1": done["macro_f1"],
    }


@pytest.mark.django_db
def test_without_the_second_reading_the_background_job_keeps_the_quick_model(settings, tmp_path):
    from xinfang.routing.services import category_model_improve

    settings.ROUTING_MODEL_PATH = tmp_path / "category.joblib"
    settings.ROUTING_SECOND_READING = False
    quick = category_model_train(*corpus(per_label=10), source="quick", quick=True)
    assert category_model_improve() == {"trained": False, "model": quick.version}


def test_the_admin_lists_the_models_trained_and_the_one_in_use(admin_client, settings, tmp_path):
    from xinfang.routing.models import CategoryModelRecord

    settings.ROUTING_MODEL_PATH = tmp_path / "category.joblib"
    texts, labels = corpus(per_label=10)
    old = category_model_train(texts, labels, source="old", quick=True)
    new = category_model_train(texts, labels[::-1], source="new", quick=True)
    CategoryModelRecord.objects.filter(version=new.version).update(cv_folds=5, cv_accuracy=0.9352, cv_macro_f1=0.9314)
    page = admin_client.get("/admin/routing/categorymodelrecord/").content.decode()
    assert old.version in page and new.version in page and "0.9352" in page and "0.9314" in page
    assert page.count("icon-yes") == 1 and page.count("icon-no") == 1  # the newest file is the one in use
