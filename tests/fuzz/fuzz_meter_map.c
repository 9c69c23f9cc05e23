/* fuzz_meter_map.c: byte 0 % 3 picks the parser of the rest:
 * 0 dlm_meter_parse (grid meter map), 1 station_source_map_resolve
 * (station register map or preset), 2 station_json_apply on a default
 * station config (then the result is printed and parsed back).
 * A map that parses is exercised: every register decoded and encoded. */
#include "dlm_sensor.h"
#include "station_json.h"
#include "station_source.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void use_dlm(const dlm_meter_map *m)
{
	if (m->n > DLM_METER_MAX_REGS)
		abort();
	for (size_t i = 0; i < m->n; i++) {
		uint16_t w[2] = { 0x4120, 0x0001 };
		double v;
		if (dlm_meter_decode(&m->regs[i], w, &v) == 0)
			dlm_meter_encode(&m->regs[i], v, w);
	}
}

static void use_src(const station_src_map *m)
{
	if (m->n_reads > STATION_SRC_MAX_READS || m->n_writes > STATION_SRC_MAX_WRITES)
		abort();
	for (size_t i = 0; i < m->n_reads + m->n_writes; i++) {
		const station_src_reg *r = i < m->n_reads ? &m->reads[i] : &m->writes[i - m->n_reads];
		uint16_t w[2] = { 0x4120, 0x0001 };
		double v;
		if (station_source_decode(r, w, &v) == 0)
			station_source_encode(r, v, w);
		station_source_encode(r, 1e300, w);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int which = data[0] % 3;
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = 0;
	char err[256];
	if (which == 0) {
		dlm_meter_map m;
		if (dlm_meter_parse(text, &m, err, sizeof err) == 0)
			use_dlm(&m);
		else if (!memchr(err, 0, sizeof err))
			abort();
		if (dlm_meter_preset(text))
			use_dlm(dlm_meter_preset(text));
	} else if (which == 1) {
		station_src_map m;
		if (station_source_map_resolve(text, &m, err, sizeof err) == 0)
			use_src(&m);
		if (station_source_map_parse(text, &m, err, sizeof err) == 0)
			use_src(&m);
	} else {
		cJSON *j = cJSON_ParseWithLength(text, size - 1);
		if (j) {
			station_config cfg;
			bool confirm = false;
			station_config_defaults(&cfg);
			if (station_json_apply(j, &cfg, &confirm, err, sizeof err) == 0) {
				char *p = station_json_print(&cfg);
				station_config back;
				station_config_defaults(&back);
				if (p && station_json_parse(p, &back, &confirm, err, sizeof err) != 0)
					abort(); /* what we print must parse back */
				free(p);
			}
			cJSON_Delete(j);
		}
	}
	free(text);
	return 0;
}
