"""`store-edge printers ...`: receipt printers in the store database, and a test page that says
what worked."""

import argparse
import sys
from collections.abc import Callable


def register(sub: argparse._SubParsersAction, data_dir_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("printers", help="add, list, remove and test receipt printers")
    ps = p.add_subparsers(dest="printers_cmd", required=True)
    s = ps.add_parser("add", help="add a printer and the lanes it serves")
    s.add_argument("--name", required=True)
    s.add_argument("--url", required=True,
                   help="tcp://HOST[:9100], /dev/usb/lp0 or file:///PATH; options ?timeout=SECONDS&status=off")
    s.add_argument("--width", type=int, choices=(58, 80), default=80, help="paper width in mm")
    s.add_argument("--mode", choices=("text", "raster"), default="text",
                   help="text: the printer has a Chinese font (GB18030); raster: text is sent as pictures")
    s.add_argument("--qr", choices=("native", "raster"), default="native",
                   help="native: the printer draws QR codes itself (GS ( k); raster: sent as a picture")
    s.add_argument("--lanes", default="", help="comma-separated lane ids it prints for; * for every lane")
    data_dir_arg(s)
    s = ps.add_parser("list", help="printers with their lanes")
    data_dir_arg(s)
    s = ps.add_parser("remove", help="remove a printer (its queued jobs fail, and can be reprinted elsewhere)")
    s.add_argument("name")
    data_dir_arg(s)
    s = ps.add_parser("test", help="print a test page now and say what worked")
    s.add_argument("--printer", required=True)
    data_dir_arg(s)
    p.set_defaults(func=cmd_printers)


def cmd_printers(args: argparse.Namespace) -> None:
    from .cli_common import existing_store
    from .domain.errors import StoreEdgeError
    from .services import printing
    from .services.runtime import StoreRuntime

    store = StoreRuntime(existing_store(args))
    try:
        if args.printers_cmd == "add":
            lanes = tuple(x.strip() for x in args.lanes.split(",") if x.strip())
            row = printing.add_printer(store, printing.PrinterSpec(args.name, args.url, args.width, args.mode,
                                                                   args.qr, lanes))
            print(f"added {row.name}\t{row.url}\t{row.width_mm}mm\t{row.mode}\tqr {row.qr}\t"
                  f"lanes {','.join(row.lanes) or '-'}")
        elif args.printers_cmd == "list":
            for row in printing.list_printers(store):
                print(f"{row.name}\t{row.url}\t{row.width_mm}mm\t{row.mode}\tqr {row.qr}\t"
                      f"lanes {','.join(row.lanes) or '-'}")
        elif args.printers_cmd == "remove":
            printing.remove_printer(store, args.name)
            print(f"removed {args.name}")
        else:
            report = printing.send_test_page(store, args.printer)
            print("\n".join(test_report_lines(report)))
            if report.error:
                sys.exit(1)
    except StoreEdgeError as exc:
        reasons = "; ".join(f"{e.field}: {e.reason}" for e in exc.errors)
        sys.exit(f"store-edge: {exc.detail}" + (f" ({reasons})" if reasons else ""))
    finally:
        store.close()


def test_report_lines(report) -> list[str]:  # noqa: ANN001 - printing.TestPageReport
    p = report.printer
    lines = [f"printer {p.name}: {p.url} ({p.width_mm} mm, {p.mode} mode, {p.qr} QR)"]
    if report.error:
        lines += [f"FAILED: {report.error}", "nothing was printed; check power, cable, network and paper"]
        return lines
    lines.append(f"sent: {report.bytes_sent} bytes, the printer took them all")
    if p.url.startswith("tcp://") and "status=off" not in p.url:
        lines.append("status: the printer answered after reading the page: online, paper "
                     + (report.note if report.note else "ok"))
    else:
        lines.append("status: not asked (device or file printers do not answer)")
    lines += [
        "now look at the paper:",
        "  A (文本模式 text mode) reads 中文测试：会员积分￥28.50 -> --mode text works",
        "    garbled or missing, while B (图像模式 raster mode) reads right -> use --mode raster",
        "  C (原生二维码 native QR) scans -> --qr native works; only D (图像二维码) prints -> use --qr raster",
        "  the bars for this paper width end at the right edge -> --width is right",
    ]
    return lines
