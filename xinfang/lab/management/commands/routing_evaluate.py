import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from xinfang.routing.classifier import model_current
from xinfang.routing.evaluation import cross_validate, model_evaluate
from xinfang.routing.training_data import CsvColumnError, labeled_csv_read


class Command(BaseCommand):
    help = (
        "How well the category model labels a labeled CSV (评估内容分类模型), texts raw or segmented: "
        "the installed model, or with --folds K stratified K-fold cross-validation trained on the file "
        "itself (identical texts kept in one fold). Progress goes to stderr; the last line of stdout is "
        "one JSON object: accuracy, macro_f1 and per_label precision, recall, f1, support."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--csv",
            type=Path,
            default=None,
            help="labeled CSV (UTF-8 with a header, .gz too; default settings.ROUTING_TRAINING_CSV, its text_seg and label)",
        )
        parser.add_argument(
            "--text-col",
            action="append",
            default=None,
            help="column of the text (repeat to join several, e.g. 留言主题 and 留言详情)",
        )
        parser.add_argument("--label-col", default="label", help="column of the first-level label (default label)")
        parser.add_argument("--folds", type=int, default=0, help="cross-validate with this many folds (e.g. 5)")
        parser.add_argument(
            "--strip-spaces",
            action="store_true",
            help="remove every space from the texts first (a segmented file read as raw text)",
        )
        parser.add_argument("--seed", type=int, default=0, help="of the folds' shuffle (default 0)")

    def handle(self, *args, **options) -> None:
        if options["folds"] == 1 or options["folds"] < 0:
            raise CommandError("--folds 至少为 2 (at least 2).")
        options["csv"] = options["csv"] or Path(settings.ROUTING_TRAINING_CSV)
        options["text_col"] = options["text_col"] or ["text_seg"]
        if not options["csv"].exists():
            raise CommandError(f"找不到文件 {options['csv']}。")
        try:
            data = labeled_csv_read(
                options["csv"], options["text_col"], options["label_col"], strip_spaces=options["strip_spaces"]
            )
        except CsvColumnError as e:
            raise CommandError(str(e)) from e
        if not data.texts:
            raise CommandError("文件中没有既有文本又有类别的行。")
        self._say(
            f"读入 {len(data.texts)} 条（跳过缺文本或类别的 {data.skipped} 条），"
            f"{len(set(data.labels))} 个类别{'，已去掉空格' if options['strip_spaces'] else ''}。"
        )
        started = time.perf_counter()
        if options["folds"]:
            self._say(f"{options['folds']} 折分层交叉验证（相同文本在同一折）……")
            result = cross_validate(data, options["folds"], options["seed"], say=self._say)
            result = {"mode": "cross_validation", **result}
        else:
            model = model_current()
            if model is None:
                raise CommandError("还没有安装内容分类模型：请先运行 manage.py routing_train，或用 --folds 交叉验证。")
            self._say(f"评估已安装的模型 {model.version}（{model.samples} 条训练）……")
            result = {
                "mode": "installed_model",
                "model_version": model.version,
                **model_evaluate(model, data, say=self._say),
            }
        result["skipped_rows"] = data.skipped
        result["strip_spaces"] = options["strip_spaces"]
        result["seconds"] = round(time.perf_counter() - started, 1)
        self._say(f"准确率 {result['accuracy']:.4f}，宏F1 {result['macro_f1']:.4f}。")
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _say(self, line: str) -> None:
        self.stderr.write(line)
        self.stderr.flush()
