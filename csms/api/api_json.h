/* api_json.h: the admin API's JSON of the store's rows, one builder per
 * resource the routes share (chargers, id tags, transactions, the records
 * of our CALLs, alarms). Field names, order and null-versus-absent are the
 * API's contract (tests/integration). Each returns a new tree the caller
 * frees; a store error mid-list leaves out the rows after it. */
#ifndef CSMS_API_JSON_H
#define CSMS_API_JSON_H

#include <cjson/cJSON.h>
#include <stdint.h>

struct store;
struct store_tx_filter;

/* [{"id","registration","vendor","model","firmware","serial","lastSeen","settings",
 *   "firmwareStatus","diagnosticsStatus","meterType","meterSerial","connectors":[...]}];
 * id NULL = all (array), else the one object or NULL when unknown. */
cJSON *api_json_chargers(struct store *st, const char *id);
/* [{"connectorId","type","status","changed"}] by connector. */
cJSON *api_json_availability(struct store *st, const char *charger);
/* [{"idTag","status","expiryDate","parentIdTag","maxActiveTransactions","chargers"}];
 * tag NULL = all (array), else the one object or NULL when unknown. */
cJSON *api_json_idtags(struct store *st, const char *tag);
/* [{"id","charger","connectorId","idTag","start","stop","meterStart","meterStop",
 *   "energyWh","stopReason","authStatus"[,"reservationId"],"stoppedBy"}] */
cJSON *api_json_transactions(struct store *st, const struct store_tx_filter *f);
/* One of those with its "meterValues"; NULL when unknown. */
cJSON *api_json_transaction(struct store *st, int64_t tx_id);
/* [{"action","received","payload"}], newest first. */
cJSON *api_json_firmware_history(struct store *st, const char *charger, int limit);
/* [{"id","charger","action","messageId","source","queued","sent","answered","latencyMs",
 *   "request","outcome","result","error"}], newest first. */
cJSON *api_json_audit(struct store *st, const char *charger, const char *action, int limit);
/* [{"key","value","readonly","status","requestedValue","updated"}] by key. */
cJSON *api_json_config(struct store *st, const char *charger);
/* [{"charger","reservationId","connectorId","idTag","parentIdTag","expiryDate","status",
 *   "created","ended","transactionId"}], newest first. */
cJSON *api_json_reservations(struct store *st, const char *charger, int active, int limit);
/* [{"connectorId","chargingProfileId","chargingProfilePurpose","stackLevel","transactionId",
 *   "csChargingProfiles","installed"}] */
cJSON *api_json_profiles(struct store *st, const char *charger);
/* [{"id","source","charger","connectorId","code","info","vendorId","vendorErrorCode",
 *   "raised","cleared"}], newest first. */
cJSON *api_json_alarms(struct store *st, int active_only, const char *charger, int limit);

#endif
