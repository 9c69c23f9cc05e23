/* ocpp.c: wire strings of the OCPP-J 1.6 error codes, defined once. */
#include "ocpp.h"
#include <string.h>

static const char *const codes[OCPP_STATUS_COUNT] = {
	[OCPP_OK] = "",
	[OCPP_EFORMATION] = "FormationViolation",
	[OCPP_ETYPE] = "TypeConstraintViolation",
	[OCPP_EPROPERTY] = "PropertyConstraintViolation",
	[OCPP_EOCCURRENCE] = "OccurenceConstraintViolation",
	[OCPP_EPROTOCOL] = "ProtocolError",
	[OCPP_ENOTIMPL] = "NotImplemented",
	[OCPP_ENOTSUPP] = "NotSupported",
	[OCPP_ESECURITY] = "SecurityError",
	[OCPP_EINTERNAL] = "InternalError",
	[OCPP_EGENERIC] = "GenericError",
};

const char *ocpp_error_code(enum ocpp_status st)
{
	return st > OCPP_OK && st < OCPP_STATUS_COUNT ? codes[st] : codes[OCPP_EGENERIC];
}

int ocpp_error_from_code(const char *code)
{
	for (int i = 1; i < OCPP_STATUS_COUNT; i++)
		if (!strcmp(codes[i], code))
			return i;
	return -1;
}
