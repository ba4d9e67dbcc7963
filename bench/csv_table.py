"""Print chosen columns of a summary CSV as a Markdown table (the GPU evidence scripts' tables):

    python3 bench/csv_table.py SUMMARY.csv COLUMN [COLUMN ...]

Columns the CSV does not have are left out."""

import sys

import pandas as pd


def main() -> None:
    frame = pd.read_csv(sys.argv[1])
    columns = [c for c in sys.argv[2:] if c in frame.columns]
    print(frame[columns].to_markdown(index=False, floatfmt=".4g"))


if __name__ == "__main__":
    main()
