/* actions.c: the action table. Adding an action is one row here and, for a
 * charger-initiated one, one handler in handlers/. */
#include "actions.h"
#include <string.h>

static const struct action_row rows[] = {
	/* Core, charger-initiated */
	{ "Authorize", CP_TO_CS, "Core", h_authorize, 0 },
	{ "BootNotification", CP_TO_CS, "Core", h_boot_notification, 1 },
	{ "DataTransfer", BOTH_WAYS, "Core", h_data_transfer, 0 },
	{ "Heartbeat", CP_TO_CS, "Core", h_heartbeat, 0 },
	{ "MeterValues", CP_TO_CS, "Core", h_meter_values, 0 },
	{ "StartTransaction", CP_TO_CS, "Core", h_start_transaction, 0 },
	{ "StatusNotification", CP_TO_CS, "Core", h_status_notification, 0 },
	{ "StopTransaction", CP_TO_CS, "Core", h_stop_transaction, 0 },
	/* FirmwareManagement, charger-initiated */
	{ "DiagnosticsStatusNotification", CP_TO_CS, "FirmwareManagement", h_diagnostics_status, 0 },
	{ "FirmwareStatusNotification", CP_TO_CS, "FirmwareManagement", h_firmware_status, 0 },
	/* Security extension, charger-initiated */
	{ "LogStatusNotification", CP_TO_CS, "Security", h_log_status, 0 },
	{ "SecurityEventNotification", CP_TO_CS, "Security", h_security_event, 1 },
	{ "SignCertificate", CP_TO_CS, "Security", h_sign_certificate, 0 },
	{ "SignedFirmwareStatusNotification", CP_TO_CS, "Security", h_signed_firmware_status, 0 },
	/* Central-System-initiated */
	{ "CancelReservation", CS_TO_CP, "Reservation", NULL, 0 },
	{ "CertificateSigned", CS_TO_CP, "Security", NULL, 0 },
	{ "ChangeAvailability", CS_TO_CP, "Core", NULL, 0 },
	{ "ChangeConfiguration", CS_TO_CP, "Core", NULL, 0 },
	{ "ClearCache", CS_TO_CP, "Core", NULL, 0 },
	{ "ClearChargingProfile", CS_TO_CP, "SmartCharging", NULL, 0 },
	{ "DeleteCertificate", CS_TO_CP, "Security", NULL, 0 },
	{ "ExtendedTriggerMessage", CS_TO_CP, "Security", NULL, 0 },
	{ "GetCompositeSchedule", CS_TO_CP, "SmartCharging", NULL, 0 },
	{ "GetConfiguration", CS_TO_CP, "Core", NULL, 0 },
	{ "GetDiagnostics", CS_TO_CP, "FirmwareManagement", NULL, 0 },
	{ "GetInstalledCertificateIds", CS_TO_CP, "Security", NULL, 0 },
	{ "GetLocalListVersion", CS_TO_CP, "LocalAuthListManagement", NULL, 0 },
	{ "GetLog", CS_TO_CP, "Security", NULL, 0 },
	{ "InstallCertificate", CS_TO_CP, "Security", NULL, 0 },
	{ "RemoteStartTransaction", CS_TO_CP, "Core", NULL, 0 },
	{ "RemoteStopTransaction", CS_TO_CP, "Core", NULL, 0 },
	{ "ReserveNow", CS_TO_CP, "Reservation", NULL, 0 },
	{ "Reset", CS_TO_CP, "Core", NULL, 0 },
	{ "SendLocalList", CS_TO_CP, "LocalAuthListManagement", NULL, 0 },
	{ "SetChargingProfile", CS_TO_CP, "SmartCharging", NULL, 0 },
	{ "SignedUpdateFirmware", CS_TO_CP, "Security", NULL, 0 },
	{ "TriggerMessage", CS_TO_CP, "RemoteTrigger", NULL, 0 },
	{ "UnlockConnector", CS_TO_CP, "Core", NULL, 0 },
	{ "UpdateFirmware", CS_TO_CP, "FirmwareManagement", NULL, 0 },
};
#define NROWS ((int)(sizeof rows / sizeof rows[0]))

const struct action_row *actions_find(const char *name)
{
	for (int i = 0; i < NROWS; i++)
		if (!strcmp(rows[i].name, name))
			return &rows[i];
	return NULL;
}

const struct action_row *actions_table(int *n)
{
	*n = NROWS;
	return rows;
}

int actions_index(const struct action_row *row) { return (int)(row - rows); }
