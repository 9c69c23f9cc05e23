/* station_json.h: the station settings as JSON (the SETTINGS.json of
 * station-sim, and the body of GET/PUT /api/v1/station), plus the live
 * output as JSON. Separate from the pure core: this target links cJSON.
 *
 * Key names are the ones of station/README.md ("Settings"). Parsing is a
 * partial update: keys present override the matching fields of *cfg, arrays
 * present replace the whole list (elements start from their defaults). An
 * unknown key, a wrong type or an out-of-range value fails with
 * STATION_EINVAL, *cfg untouched, and one line in err naming the key (e.g.
 * "unknown key 'battery.foo'"). The top-level boolean "confirm" is accepted
 * and reported through *confirm (needed to enter or leave remoteEms, see
 * station_config_check_change()); it is not a setting.
 *
 * Ownership: returned strings are malloc'd, the caller free()s them;
 * returned cJSON trees belong to the caller (cJSON_Delete).
 */
#ifndef STATION_JSON_H
#define STATION_JSON_H

#include "station.h"

#include <cjson/cJSON.h>

int station_json_parse(const char *text, station_config *cfg, bool *confirm, char *err, int errlen);
int station_json_apply(const cJSON *obj, station_config *cfg, bool *confirm, char *err, int errlen);

cJSON *station_json_from_config(const station_config *cfg);
char *station_json_print(const station_config *cfg); /* pretty-printed; NULL on allocation failure */

/* Live flows for GET /api/v1/station: the setpoints of one step and the
 * inputs they were computed from. */
cJSON *station_json_from_output(const station_config *cfg, const station_input *in,
				const station_output *out);

#endif
