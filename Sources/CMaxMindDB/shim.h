// libmaxminddb, linked as a system library (Debian: libmaxminddb-dev; flags via pkg-config).
#include <maxminddb.h>
