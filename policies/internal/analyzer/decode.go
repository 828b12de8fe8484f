package analyzer

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// unknownSentinels are the strings the protocol encodes unknown values as.
var unknownSentinels = map[string]bool{
	plugin.UnknownStringValue: true, plugin.UnknownBoolValue: true, plugin.UnknownNumberValue: true,
	plugin.UnknownArrayValue: true, plugin.UnknownAssetValue: true, plugin.UnknownArchiveValue: true,
	plugin.UnknownObjectValue: true,
}

// unmarshalProperties decodes properties exactly as plugin.UnmarshalProperties does with opts, but
// without its per-map key sorting and logging, which dominate the cost of a large AnalyzeStack: plain
// values are decoded here, and every value that needs the protocol's rules (unknown sentinels, secrets,
// assets, resource references, output values) goes through plugin.UnmarshalPropertyValue itself. A test
// compares the two on every kind of value.
func unmarshalProperties(props *structpb.Struct, opts plugin.MarshalOptions) (resource.PropertyMap, error) {
	if !opts.KeepUnknowns || opts.SkipNulls || opts.SkipInternalKeys || opts.RejectUnknowns || opts.RejectAssets ||
		opts.ComputeAssetHashes || opts.PropagateNil {
		return plugin.UnmarshalProperties(props, opts)
	}
	fields := props.GetFields()
	out := make(resource.PropertyMap, len(fields))
	for k, v := range fields {
		pv, err := unmarshalValue(resource.PropertyKey(k), v, opts)
		if err != nil {
			return nil, err
		}
		out[resource.PropertyKey(k)] = pv
	}
	return out, nil
}

func unmarshalValue(key resource.PropertyKey, v *structpb.Value, opts plugin.MarshalOptions) (resource.PropertyValue, error) {
	switch k := v.GetKind().(type) {
	case *structpb.Value_NullValue:
		return resource.NewNullProperty(), nil
	case *structpb.Value_BoolValue:
		return resource.NewBoolProperty(k.BoolValue), nil
	case *structpb.Value_NumberValue:
		return resource.NewNumberProperty(k.NumberValue), nil
	case *structpb.Value_StringValue:
		if len(k.StringValue) == 36 && unknownSentinels[k.StringValue] {
			return viaPlugin(key, v, opts)
		}
		return resource.NewStringProperty(k.StringValue), nil
	case *structpb.Value_ListValue:
		items := k.ListValue.GetValues()
		arr := make([]resource.PropertyValue, len(items))
		for i, e := range items {
			pv, err := unmarshalValue(key, e, opts)
			if err != nil {
				return resource.PropertyValue{}, err
			}
			arr[i] = pv
		}
		return resource.NewArrayProperty(arr), nil
	case *structpb.Value_StructValue:
		fields := k.StructValue.GetFields()
		if _, signed := fields[resource.SigKey]; signed {
			return viaPlugin(key, v, opts)
		}
		obj := make(resource.PropertyMap, len(fields))
		for fk, fv := range fields {
			pv, err := unmarshalValue(key, fv, opts)
			if err != nil {
				return resource.PropertyValue{}, err
			}
			obj[resource.PropertyKey(fk)] = pv
		}
		return resource.NewObjectProperty(obj), nil
	}
	return viaPlugin(key, v, opts)
}

// viaPlugin decodes one value with the protocol's own code.
func viaPlugin(key resource.PropertyKey, v *structpb.Value, opts plugin.MarshalOptions) (resource.PropertyValue, error) {
	pv, err := plugin.UnmarshalPropertyValue(key, v, opts)
	if err != nil {
		return resource.PropertyValue{}, err
	}
	if pv == nil {
		return resource.NewNullProperty(), nil
	}
	return *pv, nil
}

// decodeChunk is how many resources one goroutine decodes at a time.
const decodeChunk = 512

// decodeStack decodes an AnalyzeStack request's resources on every processor, keeping their order. It
// stops with the context's error when ctx ends. Each chunk is checked against lim with a budget of its
// own, and the values of all chunks together against lim too.
func decodeStack(ctx context.Context, req *pulumirpc.AnalyzeStackRequest, lim limits) ([]*policy.Resource, error) {
	ars := req.GetResources()
	out := make([]*policy.Resource, len(ars))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		firstAt  = len(ars)
		next     = make(chan int)
		spent    atomic.Int64
	)
	for range max(1, min(runtime.GOMAXPROCS(0), (len(ars)+decodeChunk-1)/decodeChunk)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := range next {
				if ctx.Err() != nil {
					continue
				}
				b := &budget{limits: lim}
				for i := start; i < min(start+decodeChunk, len(ars)); i++ {
					r, err := stackResource(ars[i], b)
					if err == nil && spent.Load()+int64(b.values) > int64(lim.values) {
						err = fmt.Errorf("the request carries more than %d values, the most the pack accepts", lim.values)
					}
					if err != nil {
						mu.Lock()
						if i < firstAt {
							firstAt, firstErr = i, err
						}
						mu.Unlock()
						break
					}
					out[i] = r
				}
				spent.Add(int64(b.values))
			}
		}()
	}
	for start := 0; start < len(ars); start += decodeChunk {
		next <- start
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, firstErr
}
