/* progress.h — progress shown on stderr: bars for transfers, a status
 * board for waits. Drawn with cursor movement only when stderr is a
 * terminal; otherwise callers print plain lines (cli_progress_tty says
 * which). The formatting functions are pure, for the unit tests. */
#ifndef PORTICO_CLI_PROGRESS_H
#define PORTICO_CLI_PROGRESS_H
#include <stdint.h>

#include "util/buf.h"

/* "1.5 MiB", "830 B"; out holds 32 bytes. */
void cli_human_bytes(int64_t n, char out[static 32]);
/* One bar line (no newline): "LABEL  [████░░░░]  45%  1.2 MiB/2.6 MiB".
 * total <= 0 means unknown (the bar stays empty and no percent shows);
 * bar_cols is the number of cells between the brackets. */
int cli_bar_format(struct buf *out, const char *label, int64_t done, int64_t total, int bar_cols);
/* A spinner frame for tick (a braille dot pattern). */
const char *cli_spinner(unsigned tick);

/* Multi-line area redrawn in place on a terminal. */
struct cli_board {
    int lines; /* lines drawn last time, to move back over */
};
/* Replaces what the board drew last with text (lines ending in '\n'). */
void cli_board_draw(struct cli_board *b, const char *text);
/* Forgets the drawn lines: they stay on the screen as they are. */
void cli_board_keep(struct cli_board *b);

/* Whether stderr is a terminal that can take cursor movement. */
int cli_progress_tty(void);

#endif
