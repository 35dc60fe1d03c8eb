package kmip

import (
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// The online backup, a kmipd vendor extension: the operation
// OperationVendorBackup (in the extension range 0x8000xxxx) and its payload
// tags (in the extension range 0x54xxxx). One operation serves the three
// steps of a backup, named by the Backup Function field:
//
//   - Begin: the server takes a consistent snapshot of its store into a file
//     (encrypted and authenticated, as an offline backup) and answers with a
//     Correlation Value naming it and its Backup Size in bytes.
//   - Read: the request names the Correlation Value, a Backup Offset and a
//     Backup Length (the most bytes wanted); the response's Data holds the
//     bytes of the file from the offset, at most the length, and nothing at
//     the end of the file.
//   - End: the server deletes the file.
//
// The payloads are the same in every protocol version.
const (
	// OperationVendorBackup is the online backup operation.
	OperationVendorBackup = Operation(0x80000001)

	// TagBackupFunction (Enumeration, BackupFunction) names the step.
	TagBackupFunction = ttlv.Tag(0x54B001)
	// TagBackupOffset (Long Integer) is where a Read starts in the file.
	TagBackupOffset = ttlv.Tag(0x54B002)
	// TagBackupLength (Integer) is the most bytes a Read wants.
	TagBackupLength = ttlv.Tag(0x54B003)
	// TagBackupSize (Long Integer) is the size of the backup file.
	TagBackupSize = ttlv.Tag(0x54B004)
)

// VendorBackupName is the name of OperationVendorBackup; its String, which
// audit records, logs and metrics show, is the normalized "XKmipdBackup".
const VendorBackupName = "x-kmipd-Backup"

func init() {
	// Registered at init only: the registry is not safe for concurrent
	// registration.
	kmip14.OperationEnum.RegisterValue(uint32(OperationVendorBackup), VendorBackupName)
	for _, x := range VendorExtensions() {
		ttlv.DefaultRegistry.RegisterTag(x.Tag, x.Name)
	}
}

// BackupFunction is the step of an online backup a request asks for.
type BackupFunction uint32

// The steps of an online backup.
const (
	BackupBegin BackupFunction = 1
	BackupRead  BackupFunction = 2
	BackupEnd   BackupFunction = 3
)

// BackupRequest is the request payload of OperationVendorBackup.
type BackupRequest struct {
	Function         BackupFunction
	CorrelationValue []byte // Read and End: the value Begin answered
	Offset           int64  // Read
	Length           int32  // Read: the most bytes wanted
}

// BackupResponse is the response payload of OperationVendorBackup.
type BackupResponse struct {
	CorrelationValue []byte
	Size             int64  // Begin: the size of the backup file
	Data             []byte // Read: the bytes from the offset; empty at the end
}

// isVendorOperation reports whether op is a kmipd vendor extension the
// codec knows.
func isVendorOperation(op Operation) bool { return op == OperationVendorBackup }

func decodeBackupRequest(v Version, p ttlv.TTLV) (*BackupRequest, *Error) {
	r := &BackupRequest{}
	var err *Error
	for c := range children(p) {
		switch c.Tag() {
		case TagBackupFunction:
			var x uint32
			x, err = readEnum(c)
			r.Function = BackupFunction(x)
		case kmip14.TagCorrelationValue:
			r.CorrelationValue, err = readBytes(c)
		case TagBackupOffset:
			r.Offset, err = readLong(c)
		case TagBackupLength:
			r.Length, err = readInt(c)
		default:
			err = extraField(v, p, c)
		}
		if err != nil {
			return nil, err
		}
	}
	switch r.Function {
	case 0:
		return nil, errMissing(v, "Backup Function")
	case BackupBegin:
	case BackupRead, BackupEnd:
		if len(r.CorrelationValue) == 0 {
			return nil, errMissing(v, "Correlation Value")
		}
		if r.Offset < 0 || r.Length < 0 {
			return nil, Errorf(ReasonInvalidField, "negative Backup Offset or Length")
		}
	default:
		return nil, Errorf(ReasonInvalidField, "unknown Backup Function %d", r.Function)
	}
	return r, nil
}

func encodeBackupRequest(e *ttlv.Encoder, r *BackupRequest) {
	e.EncodeEnumeration(TagBackupFunction, uint32(r.Function))
	if len(r.CorrelationValue) > 0 {
		e.EncodeByteString(kmip14.TagCorrelationValue, r.CorrelationValue)
	}
	if r.Function == BackupRead {
		e.EncodeLongInteger(TagBackupOffset, r.Offset)
		e.EncodeInteger(TagBackupLength, r.Length)
	}
}

func decodeBackupResponse(_ Version, p ttlv.TTLV) (*BackupResponse, *Error) {
	r := &BackupResponse{}
	var err *Error
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagCorrelationValue:
			r.CorrelationValue, err = readBytes(c)
		case TagBackupSize:
			r.Size, err = readLong(c)
		case kmip14.TagData:
			r.Data, err = readBytes(c)
		}
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

func encodeBackupResponse(e *ttlv.Encoder, r *BackupResponse) {
	if len(r.CorrelationValue) > 0 {
		e.EncodeByteString(kmip14.TagCorrelationValue, r.CorrelationValue)
	}
	if r.Size > 0 {
		e.EncodeLongInteger(TagBackupSize, r.Size)
	}
	if r.Data != nil {
		e.EncodeByteString(kmip14.TagData, r.Data)
	}
}

// VendorExtensions describes the extension tags the codec knows, for Query
// Extension List and Extension Map: the online backup's.
func VendorExtensions() []ExtensionInformation {
	return []ExtensionInformation{
		{Name: "x-kmipd-BackupFunction", Tag: TagBackupFunction, Type: ttlv.TypeEnumeration},
		{Name: "x-kmipd-BackupOffset", Tag: TagBackupOffset, Type: ttlv.TypeLongInteger},
		{Name: "x-kmipd-BackupLength", Tag: TagBackupLength, Type: ttlv.TypeInteger},
		{Name: "x-kmipd-BackupSize", Tag: TagBackupSize, Type: ttlv.TypeLongInteger},
	}
}
