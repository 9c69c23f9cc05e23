/* alarms.h: alarms (charger faults from StatusNotification, chargers
 * offline for more than three heartbeat intervals, refused charging
 * profiles) and the chargers' part of the diagnosis. Alarms live in the
 * store; raising one that is already active does nothing. */
#ifndef CSMS_ALARMS_H
#define CSMS_ALARMS_H

#include <cjson/cJSON.h>

struct csms;
struct charger;
struct charger_registry;

#define ALARM_SRC_STATUS "statusNotification"
#define ALARM_SRC_OFFLINE "offline"
#define ALARM_SRC_PROFILE "chargingProfile"
#define ALARM_SRC_DLM "dlm"

/* An alarm of the site rather than of a charger (stored with charger "",
 * shown with "charger": null): info non-NULL raises source/code (nothing
 * when it is already active), NULL clears it. Returns 1 when an alarm was
 * raised or cleared, 0 when nothing changed, -1 on a store error. The
 * caller logs what it means. */
int alarms_site(struct csms *app, const char *source, const char *code, const char *info);

/* Site alarms of the energy world, one source each (alarms_site clears a
 * source's alarm whatever its code), and the charger alarm of DLM. */
#define ALARM_SRC_SENSOR "gridSensor" /* DLM's grid sensor */
#define ALARM_CODE_SENSOR_STALE "SensorStale"
#define ALARM_CODE_SENSOR_ERROR "SensorError"
#define ALARM_SRC_SOURCE "stationSource" /* the station's measurements */
#define ALARM_CODE_SOURCE_STALE "SourceStale"
#define ALARM_SRC_EMS "remoteEms"
#define ALARM_CODE_EMS_FALLBACK "RemoteEmsFallback"
#define ALARM_SRC_PEAK "peakPower"
#define ALARM_CODE_PEAK_EXCEEDED "PeakPowerExceeded"
#define ALARM_SRC_OFFGRID "offGrid"
#define ALARM_CODE_OFFGRID_OVERLOAD "OffGridOverload"
#define ALARM_CODE_LIMIT_NOT_FOLLOWED "LimitNotFollowed" /* ALARM_SRC_DLM, per charger */

/* One watched condition of the site and what was last written for it:
 * shown -1 not yet (the first call clears one an earlier run left
 * active), 0 clear, 1 raised with code. Lifetime: its owner's (a glue
 * module's state), zeroed with shown = -1. */
struct alarms_watch {
	const char *source;
	int shown;
	char code[40];
};
/* The condition now: code non-NULL raises it with info (a different code
 * of the same source first clears the old one), NULL clears it. One log
 * line under module each time it is raised ("<code>: <info>") and cleared
 * ("<code> cleared"). Returns 1 raised, 2 cleared, 0 nothing changed, -1
 * on a store error (tried again at the next call). */
int alarms_site_watch(struct csms *app, struct alarms_watch *w, const char *module, const char *code,
		      const char *info);

/* What DLM cannot do with a charger: source, and the one code each raises. */
#define ALARM_SRC_CONTROL "dlmControl" /* takes no charging profiles */
#define ALARM_CODE_NOT_CONTROLLABLE "NotControllable"
#define ALARM_SRC_PHASES "phaseSwitch" /* did not follow numberPhases */
#define ALARM_CODE_PHASES_IGNORED "PhaseSwitchIgnored"

/* A StatusNotification (validated payload): errorCode other than NoError
 * raises an alarm on that connector, NoError clears its alarms. */
void alarms_status(struct csms *app, struct charger *ch, int connector, const cJSON *status_req);
/* A SetChargingProfile answer: refused (code = its status or error code)
 * raises, accepted clears the connector's profile alarm. */
void alarms_profile(struct csms *app, const char *charger, int connector, int profile_id, const char *purpose,
		    const char *refused_code);

/* A capability alarm of a whole charger (source ALARM_SRC_CONTROL or
 * ALARM_SRC_PHASES with its code): info raises it (once: an active one
 * stays as it is), NULL clears the source's alarm. */
void alarms_capability(struct csms *app, const char *charger, const char *source, const char *code,
		       const char *info);

/* A duty of the loop (app/csms.c's table): the offline sweep. */
void alarms_offline(struct csms *app);

/* The diagnosis of every charger that is registered or connected: id,
 * registration, connected, lastSeen, connectedSince, healthy (connected,
 * accepted, no offline alarm), offlineAlarm, queuedCalls, callInFlight.
 * A new array (the caller frees it). */
cJSON *alarms_diagnosis_chargers(struct charger_registry *chargers);

#endif
