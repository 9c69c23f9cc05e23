/* api_records.h: the routes that show what central/commands.c keeps from
 * the CALLs sent to chargers: the audit trail, each charger's configuration
 * keys, charging profiles and firmware, and the reservations. Read only. */
#ifndef CSMS_API_RECORDS_H
#define CSMS_API_RECORDS_H

struct route_ctx;

void api_records_audit(struct route_ctx *c);         /* GET /api/v1/audit?charger=&action=&limit= */
void api_records_configuration(struct route_ctx *c); /* GET /api/v1/chargers/{id}/configuration */
void api_records_profiles(struct route_ctx *c);      /* GET /api/v1/chargers/{id}/profiles */
void api_records_firmware(struct route_ctx *c);      /* GET /api/v1/chargers/{id}/firmware?limit= */
void api_records_reservations(struct route_ctx *c);  /* GET /api/v1/reservations?charger=&active=&limit= */

#endif
