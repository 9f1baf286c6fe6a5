import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from xinfang.routing.classifier import TrainingError, model_current, model_path
from xinfang.routing.selectors import category_training_rows
from xinfang.routing.services import category_model_train
from xinfang.routing.training_data import CsvColumnError, labeled_csv_read


class Command(BaseCommand):
    help = (
        "Train the category model (训练内容分类模型) and install it: from a labeled CSV (default "
        "settings.ROUTING_TRAINING_CSV, the 2020 泰迪杯 messages) and, with --from-petitions, from the "
        "petitions whose category staff confirmed or corrected at registration (first-level labels)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--csv",
            type=Path,
            default=None,
            help="labeled CSV (UTF-8, with a header); default settings.ROUTING_TRAINING_CSV",
        )
        parser.add_argument(
            "--text-col",
            action="append",
            default=None,
            help="column of the text (repeat to join several, e.g. a title and the details); default text_seg",
        )
        parser.add_argument("--label-col", default="label", help="column of the first-level label (default label)")
        parser.add_argument("--no-csv", action="store_true", help="learn from the petitions only")
        parser.add_argument(
            "--from-petitions",
            action="store_true",
            help="add the petitions whose category staff confirmed or corrected",
        )
        parser.add_argument(
            "--quick",
            action="store_true",
            help="first reading only, calibrated on 3 folds (about a minute; what `make run` trains before it "
            "serves: the schedule's job category_model_full then trains the full model in the background)",
        )
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="do nothing if a model is installed; without training data, warn instead of failing "
            "(what `make run` uses)",
        )

    def handle(self, *args, **options) -> None:
        target = model_path()
        if options["if_missing"] and model_current() is not None:
            self.stdout.write(f"分类模型已安装：{target}（未重新训练）。")
            return
        started = time.perf_counter()
        texts: list[str] = []
        labels: list[str] = []
        sources = []
        if not options["no_csv"]:
            path = options["csv"] or Path(settings.ROUTING_TRAINING_CSV)
            if path.exists():
                try:
                    data = labeled_csv_read(path, options["text_col"] or ["text_seg"], options["label_col"])
                except CsvColumnError as e:
                    raise CommandError(str(e)) from e
                texts += data.texts
                labels += data.labels
                sources.append(f"{path.name}: {len(data.texts)}")
            elif options["csv"] or not options["from_petitions"]:
                self._missing(f"找不到训练数据文件 {path}。", options["if_missing"])
                return
        if options["from_petitions"]:
            rows = list(category_training_rows())
            texts += [t for t, _ in rows]
            labels += [label for _, label in rows]
            sources.append(f"petitions: {len(rows)}")
        quiet = options["verbosity"] < 1
        bar = tqdm(total=len(texts), unit="条", desc="分词", file=sys.stderr, disable=quiet)
        bars = [bar]

        def embedding_progress(n: int) -> None:  # its bar appears once the reading is done
            if len(bars) == 1:
                bar.close()
                bars.append(
                    tqdm(
                        total=len(texts), unit="条", desc="句向量 (sentence embeddings)", file=sys.stderr, disable=quiet
                    )
                )
            bars[-1].update(n)
            if bars[-1].n >= len(texts):  # done: the training that follows is not counted in its time
                bars[-1].close()

        try:
            model = category_model_train(
                texts,
                labels,
                source=", ".join(sources),
                progress=bar.update,
                embedding_progress=embedding_progress,
                quick=options["quick"],
            )
        except TrainingError as e:
            self._missing(str(e), options["if_missing"])
            return
        finally:
            for b in bars:
                b.close()
        seconds = time.perf_counter() - started
        size = target.stat().st_size / 1e6
        left_out = sorted(set(labels) - set(model.labels))
        self.stdout.write(
            f"已训练并安装内容分类模型 {model.version}：{model.samples} 条（{model.source}），"
            f"{len(model.labels)} 个类别，用时 {seconds:.0f} 秒，文件 {target}（{size:.1f} MB）。"
            + (f" 样本太少未学习的类别：{'、'.join(left_out)}。" if left_out else "")
            + f" (Trained model {model.version} on {model.samples} texts in {seconds:.0f} s.)"
        )

    def _missing(self, message: str, warn_only: bool) -> None:
        if not warn_only:
            raise CommandError(message)
        self.stderr.write(f"警告：{message} 登记台暂不提供分类建议；备好数据后运行 manage.py routing_train。")
