// zlib, for the compression ratio Whisper uses to detect repetition loops.
#include <zlib.h>
